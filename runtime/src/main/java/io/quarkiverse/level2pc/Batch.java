package io.quarkiverse.level2pc;

/**
 * Operations collected by {@link ReplicatedDB#batch}; applied atomically. Later operations on the
 * same key replace earlier ones.
 */
public interface Batch {

    Batch put(byte[] key, byte[] value);

    Batch put(String key, String value);

    /** Puts {@code value} encoded as JSON. */
    Batch put(String key, Object value);

    Batch delete(byte[] key);

    Batch delete(String key);
}
