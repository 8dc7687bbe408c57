package io.quarkiverse.level2pc.storage;

/** The store holds bytes this release cannot read: stop rather than guess. */
public class StoreCorruptedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreCorruptedException(String message) {
        super(message);
    }

    public StoreCorruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
