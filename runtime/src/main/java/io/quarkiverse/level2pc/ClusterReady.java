package io.quarkiverse.level2pc;

/**
 * CDI event fired when the node becomes ready to serve reads and writes (its store is open and its
 * prepared branches are restored).
 *
 * <pre>{@code
 * void onReady(@Observes ClusterReady e) { ... }
 * }</pre>
 *
 * @param nodeName this node's name
 * @param inDoubt prepared branches restored from disk and waiting for their outcome
 */
public record ClusterReady(String nodeName, int inDoubt) {
}
