package io.quarkiverse.level2pc;

/**
 * CDI event fired when the node stops being ready (it is shutting down, or its store failed).
 *
 * @param nodeName this node's name
 * @param reason why
 */
public record ClusterNotReady(String nodeName, String reason) {
}
