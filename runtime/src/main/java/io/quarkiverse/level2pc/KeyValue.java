package io.quarkiverse.level2pc;

import java.nio.charset.StandardCharsets;

/** One entry returned by a scan. The arrays are copies owned by the caller. */
public interface KeyValue {

    byte[] key();

    byte[] value();

    /**
     * The version of the entry's value (see {@link Versioned}), or {@code null} for a value the current transaction
     * wrote itself.
     */
    String version();

    default String keyAsString() {
        return new String(key(), StandardCharsets.UTF_8);
    }

    default String valueAsString() {
        return new String(value(), StandardCharsets.UTF_8);
    }

    /** The value decoded from JSON with the application's {@code ObjectMapper}. */
    <T> T valueAs(Class<T> type);
}
