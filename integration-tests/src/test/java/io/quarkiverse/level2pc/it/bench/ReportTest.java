package io.quarkiverse.level2pc.it.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * The pure parts of the benchmark harness: windows, percentiles, the report (parameters: {@link BenchParamsTest};
 * operations: {@link HttpOpTest}).
 */
class ReportTest {

    private static final long S = 1_000_000_000L;

    static BenchParams params(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return BenchParams.from(m::get);
    }

    /** A cell whose {@code ok} operations took {@code micros[i]} µs each, its conflicts 2 ms each, in a 10 s window. */
    private static CellResult cell(Target t, Workload w, int clients, long conflicts, Map<String, Long> errors, long... micros) {
        Recorder r = new Recorder(0, 10 * S);
        for (long m : micros) {
            r.ok(S, S + m * 1000);
        }
        for (int i = 0; i < conflicts; i++) {
            r.conflict(S, S + 2_000_000);
        }
        errors.forEach((k, v) -> {
            for (int i = 0; i < v; i++) {
                r.error(S, k);
            }
        });
        return CellResult.merge(t, w, clients, Duration.ofSeconds(10), List.of(r));
    }

    private static long[] repeat(long micros, int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, micros);
        return a;
    }

    @Test
    void onlyOperationsCompletingInTheWindowCountButEveryErrorIsKept() {
        Recorder r = new Recorder(10 * S, 20 * S);
        r.ok(9 * S, 9 * S + 1000); // warm-up
        r.ok(9 * S, 10 * S + 5_000_000); // started in warm-up, completed in the window: 1005 ms
        r.ok(15 * S, 15 * S + 2_000_000); // 2 ms
        r.ok(19 * S, 21 * S); // drain
        r.conflict(4 * S, 5 * S);
        r.conflict(12 * S, 12 * S + 7_000_000); // 7 ms
        r.error(5 * S, "HTTP 503 not ready");
        r.error(12 * S, "HTTP 503 not ready");
        r.error(25 * S, "TimeoutException");
        CellResult c = CellResult.merge(new Target(3), Workload.PUT, 1, Duration.ofSeconds(10), List.of(r));
        assertThat(c.ok()).isEqualTo(2);
        assertThat(c.latencyNanos().getTotalCount()).isEqualTo(2);
        assertThat(c.maxMillis()).isBetween(1004.0, 1006.0);
        assertThat(c.conflicts()).isEqualTo(1);
        assertThat(c.conflictLatencyNanos().getTotalCount()).isEqualTo(1);
        assertThat(c.conflictLatencyNanos().getMaxValue()).isBetween(6_990_000L, 7_010_000L);
        assertThat(c.conflictPercent()).isBetween(33.3, 33.4);
        assertThat(c.opsPerSecond()).isEqualTo(0.2);
        assertThat(c.errors()).containsEntry("HTTP 503 not ready", 1L);
        assertThat(c.errorsOutsideWindow()).containsEntry("HTTP 503 not ready", 1L).containsEntry("TimeoutException", 1L);
        assertThat(c.errorCount()).isEqualTo(3);
        assertThat(c.hasErrors()).isTrue();
    }

    @Test
    void percentilesNeedEnoughSamples() {
        assertThat(CellResult.minSamplesFor(50)).isEqualTo(2);
        assertThat(CellResult.minSamplesFor(99)).isEqualTo(100);
        assertThat(CellResult.minSamplesFor(99.9)).isEqualTo(1000);

        // 990 operations of 1 ms and 10 of 50 ms: p50 1 ms, p99 1 ms, p99.9 50 ms
        List<Long> all = new ArrayList<>();
        for (int i = 0; i < 990; i++) {
            all.add(1000L);
        }
        for (int i = 0; i < 10; i++) {
            all.add(50_000L);
        }
        CellResult c = cell(new Target(1), Workload.GET, 16, 0, Map.of(), all.stream().mapToLong(Long::longValue).toArray());
        assertThat(c.percentileMillis(50)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.001));
        assertThat(c.percentileMillis(99)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.001));
        assertThat(c.percentileMillis(99.9)).isCloseTo(50.0, org.assertj.core.data.Offset.offset(0.05));
        assertThat(c.opsPerSecond()).isEqualTo(100.0);

        CellResult few = cell(new Target(1), Workload.GET, 1, 0, Map.of(), repeat(2000, 99));
        assertThat(few.percentileMillis(50)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.002));
        assertThat(few.percentileMillis(99)).isNaN();
        assertThat(few.percentileMillis(99.9)).isNaN();
        CellResult none = cell(new Target(1), Workload.GET, 1, 0, Map.of());
        assertThat(none.conflictPercentileMillis(99)).isNaN();
        assertThat(cell(new Target(3), Workload.HOT_BANK, 16, 99, Map.of(), repeat(1000, 10)).conflictPercentileMillis(99))
                .isNaN();
        assertThat(cell(new Target(3), Workload.HOT_BANK, 16, 100, Map.of(), repeat(1000, 10)).conflictPercentileMillis(99))
                .isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.002));
        // conflicts have their own distribution: 98 of 1 ms and 2 of 30 ms, p50 1 ms and p99 30 ms
        Recorder r = new Recorder(0, 10 * S);
        for (int i = 0; i < 100; i++) {
            r.conflict(S, S + (i < 98 ? 1_000_000 : 30_000_000));
        }
        r.ok(S, S + 5_000_000);
        CellResult conflicting = CellResult.merge(new Target(3), Workload.HOT_BANK, 16, Duration.ofSeconds(10), List.of(r));
        assertThat(conflicting.conflictPercentileMillis(50)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.002));
        assertThat(conflicting.conflictPercentileMillis(99)).isCloseTo(30.0, org.assertj.core.data.Offset.offset(0.03));
        assertThat(conflicting.maxMillis()).isCloseTo(5.0, org.assertj.core.data.Offset.offset(0.005));
        assertThat(none.percentileMillis(50)).isNaN();
        assertThat(none.maxMillis()).isNaN();
        assertThat(none.opsPerSecond()).isZero();
    }

    @Test
    void numbersAreFormattedForReading() {
        assertThat(Report.rate(12345.6)).isEqualTo("12,346");
        assertThat(Report.rate(99.94)).isEqualTo("99.9");
        assertThat(Report.millis(0.4321)).isEqualTo("0.432");
        assertThat(Report.millis(4.321)).isEqualTo("4.32");
        assertThat(Report.millis(43.21)).isEqualTo("43.2");
        assertThat(Report.millis(432.1)).isEqualTo("432");
        assertThat(Report.millis(1234.5)).isEqualTo("1235");
        assertThat(Report.millis(0.000312)).isEqualTo("0.000312");
        assertThat(Report.millis(0.0999)).isEqualTo("0.0999");
        assertThat(Report.millis(0)).isEqualTo("0");
        assertThat(Report.millis(Double.NaN)).isEqualTo(Report.NONE);
        assertThat(Report.ratio(1, 3)).isEqualTo("0.333");
        assertThat(Report.ratio(300, 4)).isEqualTo("75");
        assertThat(Report.ratio(4000, 3)).isEqualTo("1330");
        assertThat(Report.ratio(1, 0)).isEqualTo(Report.NONE);
        assertThat(Report.ratio(Double.NaN, 1)).isEqualTo(Report.NONE);
    }

    @Test
    void ratiosAreMarkedWhenACellHadErrors() {
        CellResult clean = cell(new Target(1), Workload.PUT, 1, 0, Map.of(), repeat(1000, 400));
        CellResult failing = cell(new Target(3), Workload.PUT, 1, 0, Map.of("HTTP 503 not ready", 2L), repeat(10_000, 100));
        assertThat(Report.ratio(Optional.of(failing), Optional.of(clean), CellResult::opsPerSecond)).isEqualTo("0.25 " + Report.WARN);
        assertThat(Report.ratio(Optional.of(clean), Optional.of(clean), CellResult::opsPerSecond)).isEqualTo("1");
        assertThat(Report.ratio(Optional.of(clean), Optional.empty(), CellResult::opsPerSecond)).isEqualTo(Report.NONE);
    }

    @Test
    void theReportHasEveryCellRatiosAndErrors() {
        BenchParams p = params("bench.clients", "1", "bench.workloads", "put,get,ping");
        List<CellResult> cells = List.of(
                cell(Target.LOCAL_LEVELDB, Workload.PUT, 1, 0, Map.of(), repeat(500, 2000)),
                cell(new Target(1), Workload.PUT, 1, 0, Map.of(), repeat(1000, 1000)),
                cell(new Target(3), Workload.PUT, 1, 3, Map.of("HTTP 503 peer unavailable", 1L), repeat(10_000, 100)),
                cell(Target.LOCAL_LEVELDB, Workload.GET, 1, 0, Map.of(), repeat(10, 5000)),
                cell(new Target(1), Workload.GET, 1, 0, Map.of(), repeat(400, 2500)),
                cell(new Target(3), Workload.GET, 1, 0, Map.of(), repeat(400, 2500)),
                cell(new Target(1), Workload.PING, 1, 0, Map.of(), repeat(200, 5000)),
                cell(new Target(3), Workload.PING, 1, 0, Map.of(), repeat(200, 5000)));
        Machine m = new Machine(Map.of("Cores (Runtime.availableProcessors)", "2"));
        String md = new Report(m, p, cells, List.of("Run on a test."), List.of("Node logs of 1 node: 0 WARN and 0 ERROR line(s)"))
                .markdown();

        assertThat(md).contains("## Node logs\n\n* Node logs of 1 node: 0 WARN and 0 ERROR line(s)\n");
        assertThat(md).contains("* Run on a test.", "| Cores (Runtime.availableProcessors) | 2 |", "| `bench.seed` | `42` |",
                "-Dbench.clients=1 ");
        assertThat(md).contains("| conflicts | conflict p99 | errors | CPU ms/op |");
        assertThat(md).contains("| put | 1 | LevelDB (local) | 200 | 0.500 | 0.500 | 0.500 | 0.500 | 2000 | 0 | – | 0 | – |");
        // 3 conflicts are too few for a p99
        assertThat(md).contains("| put | 1 | 3 nodes | 10.0 | 10.0 | 10.0 | – | 10.0 | 100 | 3 (2.9 %) | – | **1** ⚠ | – |");
        assertThat(md).contains("| ops/s 3 nodes ÷ 1 node | p50 3 nodes ÷ 1 node | ops/s 3 nodes ÷ LevelDB (local) |");
        // put: 3 nodes ÷ 1 node = 10/100 ops/s, 10/1 ms p50; 3 nodes ÷ LevelDB = 10/200, 10/0.5
        assertThat(md).contains("| put | 1 | 0.1 ⚠ | 10 ⚠ | 0.05 ⚠ | 20 ⚠ | 0.5 | 2 |");
        // ping has no LevelDB counterpart
        assertThat(md).contains("| ping | 1 | 1 | 1 | – | – | – | – |");
        assertThat(md).contains("| 1 node | 1 | 0.5 | 2 |", "| 3 nodes | 1 | 0.5 | 2 |", "| etcd, 3 members | 1 | – | – |");
        // etcd (bench.etcd defaults to 3) was not measured: the comparison says so, no idle CPU was given
        assertThat(md).contains("## 3 nodes vs etcd\n", "No workload was measured on both").doesNotContain("## Idle CPU")
                .doesNotContain("Without load");
        assertThat(md).contains("* ⚠ put × 1 on 3 nodes: 1 error(s); in the window: 1 × `HTTP 503 peer unavailable`");
        // rows are grouped by workload, then clients, then target
        assertThat(md.indexOf("| put | 1 | LevelDB")).isLessThan(md.indexOf("| put | 1 | 1 node"));
        assertThat(md.indexOf("| put | 1 | 3 nodes")).isLessThan(md.indexOf("| get | 1 | LevelDB"));
        assertThat(md.lines().filter(l -> l.startsWith("| ") && l.contains(" | LevelDB (local) | ")))
                .hasSize(2);
    }

    @Test
    void theReportComparesTheLargestNodeCountWithEtcdAndShowsIdleCpuAndConflictLatency() {
        BenchParams p = params("bench.clients", "1,16", "bench.workloads", "put,hot-bank,get,ping", "bench.baseline", "false",
                "bench.idle", "5s");
        Target three = new Target(3);
        Target etcd = Target.etcd(3);
        List<CellResult> cells = List.of(
                cell(new Target(1), Workload.PUT, 1, 0, Map.of(), repeat(1000, 3000)).withCpuNanos(1_000_000_000L),
                cell(three, Workload.PUT, 1, 0, Map.of(), repeat(2000, 1000)).withCpuNanos(2_000_000_000L),
                cell(etcd, Workload.PUT, 1, 0, Map.of(), repeat(500, 4000)).withCpuNanos(1_000_000_000L),
                cell(three, Workload.PUT, 16, 0, Map.of(), repeat(2000, 1000)),
                cell(three, Workload.HOT_BANK, 16, 200, Map.of(), repeat(3000, 500)),
                cell(three, Workload.GET, 1, 0, Map.of(), repeat(1000, 1000)),
                cell(etcd, Workload.GET, 1, 0, Map.of("HTTP 200 without \"kvs\" (key missing)", 1L), repeat(1000, 1000)),
                cell(etcd, Workload.PING, 1, 0, Map.of(), repeat(500, 2000)));
        Map<Target, Double> idle = new java.util.LinkedHashMap<>();
        idle.put(etcd, 0.5);
        idle.put(three, 1.5);
        idle.put(new Target(1), 0.25);
        String md = new Report(new Machine(Map.of()), p, cells, idle, List.of(), List.of()).markdown();

        assertThat(md).contains("| hot-bank | 16 | 3 nodes | 50.0 | 3.00 | 3.00 | – | 3.00 | 500 | 200 (28.6 %) | 2.00 | 0 | – |");
        assertThat(md).contains("| put | 1 | etcd, 3 members | 400 | 0.500 | 0.500 | 0.500 | 0.500 | 4000 | 0 | – | 0 | 0.250 |");
        assertThat(md.indexOf("| put | 1 | 3 nodes |")).isLessThan(md.indexOf("| put | 1 | etcd, 3 members |"));
        assertThat(md.indexOf("| put | 1 | etcd, 3 members |")).isLessThan(md.indexOf("| put | 16 | 3 nodes |"));

        assertThat(md).contains("## Idle CPU\n", "`bench.idle` (5s)", "| Target | % of one core |");
        assertThat(md.indexOf("| 1 node | 0.25 |")).isPositive().isLessThan(md.indexOf("| 3 nodes | 1.50 |"));
        assertThat(md.indexOf("| 3 nodes | 1.50 |")).isLessThan(md.indexOf("| etcd, 3 members | 0.50 |"));

        String versus = section(md, "## 3 nodes vs etcd");
        assertThat(versus).contains("| Workload | Clients | ops/s ÷ | p50 ÷ | CPU ms/op ÷ |");
        // put × 1: 100 ÷ 400 ops/s, 2 ÷ 0.5 ms, 2 ÷ 0.25 CPU ms/op
        assertThat(versus).contains("| put | 1 | 0.25 | 4 | 8 |");
        // get × 1: etcd had an error; no CPU measured
        assertThat(versus).contains("| get | 1 | 1 ⚠ | 1 ⚠ | – ⚠ |");
        // no etcd cell for put × 16, no bank on etcd, no ping on 3 nodes
        assertThat(versus).doesNotContain("| put | 16 |", "hot-bank |", "| ping |", "No workload was measured");
        assertThat(versus).contains("Without load: 3 nodes 1.50 % of one core, etcd, 3 members 0.50 %; ratio 3.");
        assertThat(section(md, "## get ÷ ping")).contains("| etcd, 3 members | 1 | 0.5 ⚠ | 2 ⚠ |", "| 3 nodes | 1 | – | – |");

        String without = new Report(new Machine(Map.of()), params("bench.etcd", "none", "bench.baseline", "false"), cells,
                List.of(), List.of()).markdown();
        assertThat(without).doesNotContain("vs etcd").doesNotContain("## Idle CPU");
    }

    /** The text of the section under {@code heading}, up to the next one. */
    private static String section(String md, String heading) {
        int from = md.indexOf(heading + "\n");
        assertThat(from).as(heading).isNotNegative();
        int to = md.indexOf("\n## ", from + heading.length());
        return md.substring(from, to < 0 ? md.length() : to);
    }

    @Test
    void aReportWithoutErrorsSaysSo() {
        BenchParams p = params("bench.nodes", "1", "bench.clients", "1", "bench.workloads", "ping", "bench.baseline", "false");
        String md = new Report(new Machine(Map.of()), p,
                List.of(cell(new Target(1), Workload.PING, 1, 0, Map.of(), repeat(100, 10))), List.of(), List.of()).markdown();
        assertThat(md).contains("None: every request of every cell").doesNotContain("## Ratios").doesNotContain("get ÷ ping")
                .doesNotContain("## Node logs");
    }

    @Test
    void nodeLogLinesAreGroupedByCode() {
        List<String> warn = List.of(
                "a: 2026-11-26 07:56:21,051 WARN  [com.arjuna.ats.jta] (executor-thread-4) ARJUNA016041: prepare on < tx 1 > failed",
                "b: 2026-11-26 07:56:21,066 WARN  [com.arjuna.ats.arjuna] (executor-thread-4) ARJUNA012075: Action Aborting",
                "c: 2026-11-26 07:56:22,051 WARN  [com.arjuna.ats.jta] (executor-thread-9) ARJUNA016041: prepare on < tx 2 > failed");
        List<String> error = List.of("a: 2026-11-26 07:56:23,000 ERROR [io.quarkiverse.level2pc] (main) store | failure");
        String s = NodeLogs.summary("3 nodes", warn, error);
        assertThat(s).startsWith("Node logs of 3 nodes: 3 WARN and 1 ERROR line(s): 1 × `ERROR [io.quarkiverse.level2pc] store / failure`")
                .contains("; 2 × `WARN [com.arjuna.ats.jta] ARJUNA016041` (first: `a: 2026-11-26 07:56:21,051 WARN  [com.arjuna.ats.jta] "
                        + "(executor-thread-4) ARJUNA016041: prepare on < tx 1 > failed`)")
                .contains("; 1 × `WARN [com.arjuna.ats.arjuna] ARJUNA012075`");
        assertThat(NodeLogs.summary("1 node", List.of(), List.of())).isEqualTo("Node logs of 1 node: 0 WARN and 0 ERROR line(s)");
    }
}