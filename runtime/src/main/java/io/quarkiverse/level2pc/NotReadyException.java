package io.quarkiverse.level2pc;

/**
 * The node is not ready to take writes: its store is not open yet or it is shutting down, or fewer
 * peers answer than {@code min-consensus} needs, for longer than {@code quarkus.level-2pc.ready-timeout}.
 * Nothing was applied. Retryable once the node reports ready (readiness health check,
 * {@link ClusterReady} event).
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
