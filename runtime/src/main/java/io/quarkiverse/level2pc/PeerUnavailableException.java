package io.quarkiverse.level2pc;

/**
 * A peer could not be reached (connection refused, timeout) or answered with a server error. For a
 * write, the transaction was rolled back (or its outcome is left to recovery if the peer failed
 * during commit). Retryable once the peer is back (see the {@code level-2pc} health check).
 */
public class PeerUnavailableException extends Level2pcException {
    private static final long serialVersionUID = 1L;

    public PeerUnavailableException(String message) {
        super(message);
    }

    public PeerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
