package io.quarkiverse.level2pc.core;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: stamps are {@code wall-clock millis << 16 | counter}, strictly increasing on
 * one node, and never behind any stamp the node has {@linkplain #observe observed}. Commit stamps order
 * conflicting transactions in quorum mode (see {@link Stamps}).
 */
public final class HybridClock {

    private final LongSupplier wallMillis;
    private long last;

    public HybridClock(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    /** A new stamp, greater than every stamp issued or observed before. */
    public synchronized long next() {
        long physical = wallMillis.getAsLong() << 16;
        last = Math.max(last + 1, physical);
        return last;
    }

    /** Moves the clock past {@code stamp} (seen in a message or in stored data). */
    public synchronized void observe(long stamp) {
        if (stamp > last) {
            last = stamp;
        }
    }

    /** The wall-clock millis of a stamp. */
    public static long millisOf(long stamp) {
        return stamp >>> 16;
    }
}
