package io.quarkiverse.level2pc.runtime;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.ValueCodec;
import io.quarkus.arc.Arc;

/**
 * Values as JSON, with the application's Jackson {@code ObjectMapper} (looked up once, when first needed). Reading a
 * value as {@code String} gives its UTF-8 text as it is, so {@code put(key, "text")} and
 * {@code get(key, String.class)} agree (a String is stored as its text, not as a JSON string).
 */
final class JsonValues {

    private final String database;
    private volatile ObjectMapper mapper;

    JsonValues(String database) {
        this.database = database;
    }

    private ObjectMapper mapper() {
        ObjectMapper m = mapper;
        if (m == null) {
            m = Arc.container().instance(ObjectMapper.class).get();
            mapper = m;
        }
        return m;
    }

    byte[] encode(Object value) {
        Objects.requireNonNull(value, "value is null (use delete to remove a key)");
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
    }

    <T> T decode(byte[] value, Type type, String key) {
        if (type == String.class) {
            @SuppressWarnings("unchecked")
            T text = (T) new String(value, StandardCharsets.UTF_8);
            return text;
        }
        try {
            JavaType t = mapper().constructType(type);
            return mapper().readValue(value, t);
        } catch (IOException e) {
            throw new Level2pcException("the value of key '" + key + "' in database " + database + " is not JSON for "
                    + type.getTypeName() + ": " + e.getMessage(), e);
        }
    }

    /** A codec of values of {@code type} as JSON (a {@code String} as its text). */
    <T> ValueCodec<T> codec(Type type) {
        return new ValueCodec<>() {
            @Override
            public byte[] encode(T value) {
                return JsonValues.this.encode(value);
            }

            @Override
            public T decode(byte[] bytes) {
                return JsonValues.this.decode(bytes, type, "?");
            }

            @Override
            public String toString() {
                return "JSON of " + type.getTypeName();
            }
        };
    }
}
