package io.quarkiverse.level2pc.it.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.HdrHistogram.Histogram;

/**
 * One cell of the results: a workload with a number of clients on a target, measured over
 * {@code window}. Latencies are of the successful operations; conflicts (HTTP 409) are counted, with
 * their own latencies, apart; errors are counted apart.
 */
record CellResult(Target target, Workload workload, int clients, Duration window, Histogram latencyNanos, long ok,
        long conflicts, Histogram conflictLatencyNanos, Map<String, Long> errors, Map<String, Long> errorsOutsideWindow,
        double cpuMillisPerOp) {

    /**
     * The same cell with the CPU time the nodes used during the measured window, per operation: what a
     * figure costs the machine, whatever the latency (NaN when not measured or no operation).
     */
    CellResult withCpuNanos(long cpuNanos) {
        double perOp = ok == 0 || cpuNanos < 0 ? Double.NaN : cpuNanos / 1e6 / ok;
        return new CellResult(target, workload, clients, window, latencyNanos, ok, conflicts, conflictLatencyNanos, errors,
                errorsOutsideWindow, perOp);
    }

    /** Below this many samples a percentile says more about one operation than about the distribution. */
    static long minSamplesFor(double percentile) {
        return (long) Math.ceil(100.0 / (100.0 - percentile) - 1e-9);
    }

    static CellResult merge(Target target, Workload workload, int clients, Duration window, List<Recorder> recorders) {
        Histogram h = new Histogram(Recorder.HIGHEST_NANOS, 3);
        Histogram hc = new Histogram(Recorder.HIGHEST_NANOS, 3);
        long ok = 0;
        long conflicts = 0;
        Map<String, Long> errors = new TreeMap<>();
        Map<String, Long> outside = new TreeMap<>();
        for (Recorder r : recorders) {
            h.add(r.latencyNanos);
            hc.add(r.conflictLatencyNanos);
            ok += r.ok;
            conflicts += r.conflicts;
            r.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
            r.errorsOutsideWindow.forEach((k, v) -> outside.merge(k, v, Long::sum));
        }
        return new CellResult(target, workload, clients, window, h, ok, conflicts, hc, errors, outside, Double.NaN);
    }

    double opsPerSecond() {
        return ok / (window.toNanos() / 1e9);
    }

    /**
     * The latency at {@code percentile} in milliseconds, or {@code NaN} if there are fewer samples than
     * {@link #minSamplesFor} the percentile.
     */
    double percentileMillis(double percentile) {
        return percentileMillis(latencyNanos, ok, percentile);
    }

    /** {@link #percentileMillis} of the answers 409: {@code NaN} without conflicts or with too few of them. */
    double conflictPercentileMillis(double percentile) {
        return percentileMillis(conflictLatencyNanos, conflicts, percentile);
    }

    private static double percentileMillis(Histogram h, long count, double percentile) {
        if (count == 0 || count < minSamplesFor(percentile)) {
            return Double.NaN;
        }
        return h.getValueAtPercentile(percentile) / 1e6;
    }

    double maxMillis() {
        return ok == 0 ? Double.NaN : latencyNanos.getMaxValue() / 1e6;
    }

    /** Every error of the cell, inside the measurement window or not. */
    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum()
                + errorsOutsideWindow.values().stream().mapToLong(Long::longValue).sum();
    }

    boolean hasErrors() {
        return errorCount() > 0;
    }

    /** Conflicts as a share of the operations that completed in the window (done or conflicting), in percent. */
    double conflictPercent() {
        long attempts = ok + conflicts;
        return attempts == 0 ? 0 : 100.0 * conflicts / attempts;
    }

    String key() {
        return workload.label() + " × " + clients + " on " + target.label();
    }
}
