package io.quarkiverse.level2pc;

/**
 * CDI event: the node is trying again to reach a peer that does not answer (attempt counts from 1).
 *
 * <pre>{@code
 * void on(@Observes PeerReconnecting e) { ... }
 * }</pre>
 */
public record PeerReconnecting(String peer, int attempt) {
}
