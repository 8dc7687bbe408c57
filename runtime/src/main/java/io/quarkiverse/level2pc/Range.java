package io.quarkiverse.level2pc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A key range for {@link ReplicatedDB#scan}: {@code from} inclusive, {@code to} exclusive, either end
 * open ({@code null}). Keys compare as unsigned bytes.
 *
 * <pre>{@code
 * Range.prefix("user:")            // every key starting with "user:"
 * Range.between("a", "m")          // a <= key < m
 * Range.all()
 * }</pre>
 */
public final class Range {

    private static final Range ALL = new Range(null, null);

    private final byte[] from;
    private final byte[] to;

    private Range(byte[] from, byte[] to) {
        if (from != null && to != null && Arrays.compareUnsigned(from, to) > 0) {
            throw new IllegalArgumentException("range start is after its end");
        }
        this.from = from;
        this.to = to;
    }

    public static Range all() {
        return ALL;
    }

    public static Range prefix(String prefix) {
        return prefix(Objects.requireNonNull(prefix, "prefix is null").getBytes(StandardCharsets.UTF_8));
    }

    public static Range prefix(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix is null");
        if (prefix.length == 0) {
            return ALL;
        }
        return new Range(prefix.clone(), endOfPrefix(prefix));
    }

    /** {@code from <= key < to}; {@code null} leaves that end open. */
    public static Range between(String from, String to) {
        return between(from == null ? null : from.getBytes(StandardCharsets.UTF_8),
                to == null ? null : to.getBytes(StandardCharsets.UTF_8));
    }

    public static Range between(byte[] from, byte[] to) {
        return new Range(from == null ? null : from.clone(), to == null ? null : to.clone());
    }

    /** Inclusive lower bound, or {@code null}. */
    public byte[] from() {
        return from == null ? null : from.clone();
    }

    /** Exclusive upper bound, or {@code null}. */
    public byte[] to() {
        return to == null ? null : to.clone();
    }

    @Override
    public String toString() {
        return "Range[" + (from == null ? "-inf" : new String(from, StandardCharsets.UTF_8)) + ", "
                + (to == null ? "+inf" : new String(to, StandardCharsets.UTF_8)) + ")";
    }

    /**
     * The smallest key after every key that starts with {@code prefix} (the exclusive end of a prefix scan), or
     * {@code null} when there is none (the prefix is all {@code 0xFF} bytes, or empty).
     */
    public static byte[] endOfPrefix(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return null;
    }
}
