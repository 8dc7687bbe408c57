package io.quarkiverse.level2pc;

import java.nio.charset.StandardCharsets;

/** One entry returned by a scan. The arrays are copies owned by the caller. */
public interface KeyValue {

    byte[] key();

    byte[] value();

    default String keyAsString() {
        return new String(key(), StandardCharsets.UTF_8);
    }

    default String valueAsString() {
        return new String(value(), StandardCharsets.UTF_8);
    }

    /** The value decoded from JSON with the application's {@code ObjectMapper}. */
    <T> T valueAs(Class<T> type);
}
