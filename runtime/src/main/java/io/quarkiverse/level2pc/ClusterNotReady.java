package io.quarkiverse.level2pc;

/**
 * CDI event fired when the node stops being ready: fewer peers answer than {@code min-consensus} needs
 * (writes then fail with {@link NotReadyException} after {@code ready-timeout}), or it shuts down.
 *
 * @param nodeName this node's name
 * @param reason why
 */
public record ClusterNotReady(String nodeName, String reason) {
}
