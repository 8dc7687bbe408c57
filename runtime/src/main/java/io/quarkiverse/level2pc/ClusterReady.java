package io.quarkiverse.level2pc;

/**
 * CDI event fired when the node becomes ready to serve reads and writes: its store is open, its
 * prepared branches are restored, and enough peers answer for {@code min-consensus}. Fired again each
 * time the node becomes ready after a {@link ClusterNotReady}.
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
