package io.quarkiverse.level2pc;

/**
 * CDI event: a peer did not answer quarkus.level-2pc.fail-after attempts in a row. The node keeps trying at the longest back-off, and fires PeerConnected if the peer comes back.
 *
 * <pre>{@code
 * void on(@Observes PeerFailed e) { ... }
 * }</pre>
 */
public record PeerFailed(String peer, int attempts, String reason) {
}
