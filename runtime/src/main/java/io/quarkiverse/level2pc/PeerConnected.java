package io.quarkiverse.level2pc;

/**
 * CDI event: the node connected to a peer (or reconnected after a disconnection) and checked that it belongs to the same cluster and protocol version.
 *
 * <pre>{@code
 * void on(@Observes PeerConnected e) { ... }
 * }</pre>
 */
public record PeerConnected(String peer, String peerNode) {
}
