package io.quarkiverse.level2pc;

/**
 * The node is not ready to take writes (store not open yet, or shutting down). Retryable once the
 * node reports ready (readiness health check, {@link ClusterReady} event).
 */
public class NotReadyException extends Level2pcException {
    private static final long serialVersionUID = 1L;

    public NotReadyException(String message) {
        super(message);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
