package io.quarkiverse.level2pc;

/**
 * CDI event fired when the node stops being ready. In this release that happens when it shuts down;
 * with replication it will also fire when the node loses its quorum.
 *
 * @param nodeName this node's name
 * @param reason why
 */
public record ClusterNotReady(String nodeName, String reason) {
}
