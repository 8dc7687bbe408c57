package io.quarkiverse.level2pc;

/** Base of every exception the extension throws at its users. */
public class Level2pcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Level2pcException(String message) {
        super(message);
    }

    public Level2pcException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether running the same transaction again may succeed. */
    public boolean isRetryable() {
        return false;
    }
}
