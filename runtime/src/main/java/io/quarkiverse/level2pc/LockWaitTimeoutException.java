package io.quarkiverse.level2pc;

/**
 * A read, or a commit in one phase (a standalone write, or a transaction whose only resource is this
 * node), waited longer than {@code quarkus.level-2pc.lock-wait-timeout} for a prepared transaction
 * holding the key to finish. Nothing was applied. Returning the old value instead would break linearizability. Retryable;
 * if it persists, look for in-doubt transactions (health check data, logs).
 */
public class LockWaitTimeoutException extends Level2pcException {
    private static final long serialVersionUID = 1L;

    public LockWaitTimeoutException(String message) {
        super(message);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
