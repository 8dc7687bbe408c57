package io.quarkiverse.level2pc.it.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * What one client saw during one cell; used by one thread at a time, merged into a {@link CellResult}.
 * <p>
 * The measurement window is {@code [windowStart, windowEnd]} ({@link System#nanoTime()}): an
 * operation counts (throughput, latency, conflicts and their latency) if it <em>completed</em> inside
 * it, whenever it started; operations completing during the warm-up or after the window are not
 * counted. Errors are different: every error of the cell is kept, inside the window or not, so that
 * none goes unseen.
 */
final class Recorder {

    /** Latencies are recorded in nanoseconds, with 3 significant digits, up to 5 minutes. */
    static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(5);

    final long windowStart;
    final long windowEnd;
    final Histogram latencyNanos = new Histogram(HIGHEST_NANOS, 3);
    /** How long the answers 409 took: a conflict costs its client this long before it can retry. */
    final Histogram conflictLatencyNanos = new Histogram(HIGHEST_NANOS, 3);
    long ok;
    long conflicts;
    final Map<String, Long> errors = new TreeMap<>();
    final Map<String, Long> errorsOutsideWindow = new TreeMap<>();

    Recorder(long windowStart, long windowEnd) {
        if (windowEnd <= windowStart) {
            throw new IllegalArgumentException("empty window");
        }
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
    }

    boolean inWindow(long nanos) {
        return nanos >= windowStart && nanos <= windowEnd;
    }

    void ok(long startNanos, long endNanos) {
        if (inWindow(endNanos)) {
            ok++;
            latencyNanos.recordValue(Math.min(HIGHEST_NANOS, Math.max(0, endNanos - startNanos)));
        }
    }

    void conflict(long startNanos, long endNanos) {
        if (inWindow(endNanos)) {
            conflicts++;
            conflictLatencyNanos.recordValue(Math.min(HIGHEST_NANOS, Math.max(0, endNanos - startNanos)));
        }
    }

    void error(long endNanos, String kind) {
        (inWindow(endNanos) ? errors : errorsOutsideWindow).merge(kind, 1L, Long::sum);
    }

    /** A short name for a failure without an answer (timeout, connection closed, an exception of LevelDB...). */
    static String errorKind(Throwable t) {
        String m = t.getMessage();
        if (m != null && m.length() > 80) {
            m = m.substring(0, 80) + "...";
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
