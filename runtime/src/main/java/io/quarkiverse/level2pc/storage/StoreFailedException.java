package io.quarkiverse.level2pc.storage;

import io.quarkiverse.level2pc.Level2pcException;

/**
 * A write to the store failed (a full disk, an I/O error, a failed sync): its operations may or may not
 * be on disk. Callers must not assume either; the node stops taking writes until the store works again.
 */
public class StoreFailedException extends Level2pcException {

    private static final long serialVersionUID = 1L;

    public StoreFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
