package io.quarkiverse.level2pc.runtime;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.quarkiverse.level2pc.TypedDB;
import io.quarkiverse.level2pc.ValueCodec;
import io.quarkiverse.level2pc.Versioned;

/** {@link TypedDB} over the byte-level methods of a {@link ReplicatedDB}. */
final class TypedDBImpl<T> implements TypedDB<T> {

    private final ReplicatedDB db;
    private final ValueCodec<T> codec;

    TypedDBImpl(ReplicatedDB db, ValueCodec<T> codec) {
        this.db = db;
        this.codec = Objects.requireNonNull(codec, "codec is null");
    }

    @Override
    public ReplicatedDB database() {
        return db;
    }

    private static byte[] key(String key) {
        return ReplicatedDBImpl.utf8(key, "key");
    }

    private byte[] encode(T value) {
        Objects.requireNonNull(value, "value is null (use delete to remove a key)");
        return codec.encode(value);
    }

    private T decode(String key, byte[] bytes) {
        try {
            return codec.decode(bytes);
        } catch (Level2pcException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new Level2pcException("the value of key '" + key + "' in database " + db.name() + " cannot be decoded by "
                    + codec + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T get(String key) {
        byte[] v = db.get(key(key));
        return v == null ? null : decode(key, v);
    }

    @Override
    public Versioned<T> getVersioned(String key) {
        Versioned<byte[]> v = db.getVersioned(key(key));
        return v == null ? null : new Versioned<>(decode(key, v.value()), v.version());
    }

    @Override
    public void put(String key, T value) {
        db.put(key(key), encode(value));
    }

    @Override
    public boolean putIfAbsent(String key, T value) {
        return db.putIfAbsent(key(key), encode(value));
    }

    @Override
    public boolean replace(String key, String expectedVersion, T value) {
        return db.replace(key(key), expectedVersion, encode(value));
    }

    @Override
    public void delete(String key) {
        db.delete(key(key));
    }

    @Override
    public boolean delete(String key, String expectedVersion) {
        return db.delete(key(key), expectedVersion);
    }

    @Override
    public Map<String, T> scan(Range range, Scan scan) {
        Map<String, T> result = new LinkedHashMap<>();
        try (KeyValueIterator it = db.scan(range, scan)) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                String k = new String(kv.key(), StandardCharsets.UTF_8);
                result.put(k, decode(k, kv.value()));
            }
        }
        return result;
    }

    @Override
    public String toString() {
        return "TypedDB[" + db.name() + ", " + codec + "]";
    }
}
