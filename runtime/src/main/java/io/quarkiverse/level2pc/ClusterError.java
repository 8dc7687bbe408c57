package io.quarkiverse.level2pc;

/**
 * CDI event: something is wrong with the cluster that needs an operator, e.g. a peer of another
 * cluster or protocol version, a peer with this node's own name, or a peer refusing this node's
 * authentication. The peer is not counted as connected while it lasts.
 *
 * <pre>{@code
 * void on(@Observes ClusterError e) { ... }
 * }</pre>
 *
 * @param peer the peer's base URL
 * @param message what is wrong and what to fix
 */
public record ClusterError(String peer, String message) {
}
