package io.quarkiverse.level2pc;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * How {@link ReplicatedDB#scan(Range, Scan)} walks its range: the direction, at most how many entries, and the key
 * to start after (pagination). Immutable; every method returns a new value.
 *
 * <pre>{@code
 * db.scan(Range.prefix("user:"), Scan.forward().limit(100))                  // the first page
 * db.scan(Range.prefix("user:"), Scan.forward().after(lastKey).limit(100))   // the next one
 * db.scan(Range.prefix("log:"), Scan.reverse().limit(10))                    // the ten greatest keys
 * }</pre>
 *
 * A reverse scan reads its range forwards and keeps the last {@code limit} entries (iq80 LevelDB iterates
 * forwards only): its cost grows with the number of keys in the range, not with the limit. Narrow the range
 * ({@link Range#between}) to keep it cheap.
 */
public final class Scan {

    private static final Scan FORWARD = new Scan(false, Integer.MAX_VALUE, null);
    private static final Scan REVERSE = new Scan(true, Integer.MAX_VALUE, null);

    private final boolean reverse;
    private final int limit;
    private final byte[] after;

    private Scan(boolean reverse, int limit, byte[] after) {
        this.reverse = reverse;
        this.limit = limit;
        this.after = after;
    }

    /** Ascending key order, every entry of the range (the default of {@link ReplicatedDB#scan(Range)}). */
    public static Scan forward() {
        return FORWARD;
    }

    /** Descending key order. */
    public static Scan reverse() {
        return REVERSE;
    }

    /** At most {@code n} entries ({@code n >= 1}). */
    public Scan limit(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a scan's limit must be at least 1, got " + n);
        }
        return new Scan(reverse, n, after);
    }

    /**
     * Only keys after {@code key} in the scan's order: greater than it forwards, smaller than it in reverse. Pass
     * the last key of a page to get the next page.
     */
    public Scan after(byte[] key) {
        Objects.requireNonNull(key, "key is null");
        return new Scan(reverse, limit, key.clone());
    }

    /** {@link #after(byte[])} with a UTF-8 key. */
    public Scan after(String key) {
        return after(Objects.requireNonNull(key, "key is null").getBytes(StandardCharsets.UTF_8));
    }

    public boolean isReverse() {
        return reverse;
    }

    /** The most entries returned ({@link Integer#MAX_VALUE}: no limit). */
    public int limit() {
        return limit;
    }

    /** The key to start after, or {@code null}. */
    public byte[] after() {
        return after == null ? null : after.clone();
    }

    @Override
    public String toString() {
        return "Scan[" + (reverse ? "reverse" : "forward") + (limit == Integer.MAX_VALUE ? "" : ", limit " + limit)
                + (after == null ? "" : ", after " + new String(after, StandardCharsets.UTF_8)) + "]";
    }
}
