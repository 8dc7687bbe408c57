package io.quarkiverse.level2pc;

/**
 * The transaction was rolled back because another transaction changed or locked a key it read or
 * wrote. Nothing of it was applied. Retryable: run the whole transaction again (it will read fresh
 * values).
 *
 * <p>
 * Outside a transaction {@link ReplicatedDB} throws it directly. Inside {@code @Transactional}, the
 * conflict is detected at commit, so the method's caller receives Narayana's
 * {@code jakarta.transaction.RollbackException}; {@link #find(Throwable)} digs the conflict out of it.
 */
public class ConflictException extends Level2pcException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }

    /**
     * The {@code ConflictException} behind {@code t} (searched through causes and suppressed
     * exceptions), or {@code null} if the failure was not a conflict.
     */
    public static ConflictException find(Throwable t) {
        return Level2pcExceptions.find(t, ConflictException.class);
    }
}
