package io.quarkiverse.level2pc;

/**
 * CDI event: a connected peer stopped answering.
 *
 * <pre>{@code
 * void on(@Observes PeerDisconnected e) { ... }
 * }</pre>
 */
public record PeerDisconnected(String peer, String reason) {
}
