package io.quarkiverse.level2pc.storage;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/** The puts and deletes of one atomic write, in order; a later operation on the same key wins. */
public final class WriteOps {

    private final List<byte[]> keys = new ArrayList<>(4);
    /** {@code null} marks a delete. */
    private final List<byte[]> values = new ArrayList<>(4);

    public WriteOps put(byte[] key, byte[] value) {
        keys.add(requireNonNull(key, "key is null"));
        values.add(requireNonNull(value, "value is null"));
        return this;
    }

    public WriteOps delete(byte[] key) {
        keys.add(requireNonNull(key, "key is null"));
        values.add(null);
        return this;
    }

    /** Appends every operation of {@code other}, after this one's. */
    public WriteOps addAll(WriteOps other) {
        keys.addAll(other.keys);
        values.addAll(other.values);
        return this;
    }

    public int size() {
        return keys.size();
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    public byte[] key(int i) {
        return keys.get(i);
    }

    /** The value of operation {@code i}, {@code null} for a delete. */
    public byte[] value(int i) {
        return values.get(i);
    }
}
