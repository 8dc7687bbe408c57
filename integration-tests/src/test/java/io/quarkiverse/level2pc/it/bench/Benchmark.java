package io.quarkiverse.level2pc.it.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.it.BenchCluster;

/**
 * The benchmark harness; not a test, and named so that neither surefire nor failsafe runs it by
 * default. Run it with the {@code benchmark} profile:
 *
 * <pre>
 * ./mvnw -B -pl integration-tests -am verify -DskipTests -Pbenchmark [-Dbench.duration=10s ...]
 * </pre>
 *
 * In one run: every workload with the LevelDB counterpart on a local LevelDB in this JVM, then, for
 * each node count, a fresh cluster of demo-app JVMs on loopback (preloaded with the key space and
 * the bank accounts) driven over HTTP by closed-loop clients. Each cell (workload × clients ×
 * target) runs a warm-up, then the measured window; the results go to stdout and to
 * {@code target/benchmark.md}. See {@link BenchParams} for the parameters.
 */
class Benchmark {

    static final Path OUTPUT = Path.of("target", "benchmark.md");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Test
    void run() throws Exception {
        BenchParams params = BenchParams.fromSystemProperties();
        Path target = Path.of("target").toAbsolutePath();
        Machine machine = Machine.describe(target);
        LocalDateTime started = LocalDateTime.now();
        double loadBefore = Machine.loadAverage();
        long t0 = System.nanoTime();
        Duration perCell = params.warmup().plus(params.duration());
        System.out.println("=== quarkus-level-2pc benchmark");
        params.asProperties().forEach((k, v) -> System.out.println("  " + k + "=" + v));
        machine.facts().forEach((k, v) -> System.out.println("  " + k + ": " + v));
        System.out.printf(Locale.ROOT, "  %d cells of %s (warm-up + window): at least %s, plus node starts and preloads%n",
                params.cellCount(), BenchParams.format(perCell), minutes(perCell.multipliedBy(params.cellCount())));

        Keyspace space = new Keyspace(params.keys(), params.accounts(), params.valueSize(), params.seed());
        List<CellResult> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> nodeLogs = new ArrayList<>();

        if (params.baseline() && params.workloads().stream().anyMatch(w -> w.hasBaseline)) {
            Path dir = target.resolve("cluster-runs").resolve("leveldb-" + started.format(STAMP));
            System.out.println("=== local LevelDB in " + dir);
            try (Baseline baseline = new Baseline(dir, space)) {
                for (Workload w : params.workloads()) {
                    if (!w.hasBaseline) {
                        continue;
                    }
                    for (int clients : params.clients()) {
                        results.add(report(baseline.run(w, clients, params.seed(), params.warmup(), params.duration())));
                    }
                }
            }
        }

        try (LoadDriver driver = new LoadDriver()) {
            for (int n : params.nodes()) {
                Target t = new Target(n);
                System.out.println("=== starting " + t.label());
                try (BenchCluster cluster = BenchCluster.start("bench-" + n, n, params.nodeJvmOptions())) {
                    long p0 = System.nanoTime();
                    Preload preload = new Preload(cluster.baseUris());
                    preload.keys(space);
                    if (params.workloads().contains(Workload.BANK)) {
                        preload.accounts(space);
                    }
                    System.out.printf(Locale.ROOT, "    preloaded %d keys and %d accounts in %d ms%n", space.keys,
                            params.workloads().contains(Workload.BANK) ? space.accounts : 0,
                            (System.nanoTime() - p0) / 1_000_000);
                    // The nodes' JIT compilers need tens of seconds of traffic before the hot paths are compiled
                    // (C2 alone takes ~40 s of CPU on this code): measured cells must not pay for that.
                    Duration jit = jitWarmup();
                    if (!jit.isZero()) {
                        System.out.printf(Locale.ROOT, "    JIT warm-up: %d s of put and get at 16 clients, not measured%n",
                                jit.toSeconds());
                        driver.run(t, cluster.baseUris(), Workload.PUT, 16, space, params.seed(), Duration.ZERO, jit.dividedBy(2));
                        driver.run(t, cluster.baseUris(), Workload.GET, 16, space, params.seed(), Duration.ZERO, jit.dividedBy(2));
                    }
                    for (Workload w : params.workloads()) {
                        for (int clients : params.clients()) {
                            cluster.checkNodesAlive();
                            results.add(report(driver.run(t, cluster.baseUris(), w, clients, space, params.seed(),
                                    params.warmup(), params.duration(), cluster::cpuNanos)));
                        }
                    }
                    cluster.checkNodesAlive();
                    nodeLogs.add(logFindings(t, cluster));
                }
            }
        }

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        notes.add("Run on " + started.toLocalDate() + " at " + started.toLocalTime().withNano(0) + ", took "
                + minutes(took) + String.format(Locale.ROOT, "; load average (1 min) %.2f before, %.2f after",
                        loadBefore, Machine.loadAverage())
                + " (anything else running on the machine shares its cores with the nodes and the clients).");
        notes.add("Clients: closed loop (each sends its next request when the previous answer has been read), one "
                + "keep-alive HTTP/1.1 connection each, client i on node i mod n; all on one Vert.x event loop thread "
                + "in the harness's JVM. LevelDB (local): the same operations on an iq80 LevelDB in the harness's JVM, "
                + "one thread per client, every write synced.");
        notes.add("Nodes: the demo application (`target/quarkus-app`), one JVM each on 127.0.0.1, JVM options `"
                + String.join(" ", params.nodeJvmOptions()) + "`, data under `target/cluster-runs/`.");
        Report report = new Report(machine, params, results, notes, nodeLogs);
        String markdown = report.markdown();
        Files.writeString(OUTPUT, markdown);
        System.out.println();
        System.out.println(markdown);
        long failed = results.stream().filter(CellResult::hasErrors).count();
        System.out.println("=== written to " + OUTPUT.toAbsolutePath() + (failed == 0 ? "; no errors"
                : "; " + failed + " cell(s) with errors, marked " + Report.WARN));
    }

    private static CellResult report(CellResult c) {
        System.out.println("    " + Report.summary(c));
        return c;
    }

    /** WARN and ERROR lines in the nodes' logs, which may explain an error or a slow cell. */
    /** {@code bench.jit-warmup} (default 20s): unmeasured load on every freshly started cluster. */
    static Duration jitWarmup() {
        return BenchParams.duration(System.getProperty("bench.jit-warmup", "20s"));
    }

    private static String logFindings(Target t, BenchCluster cluster) throws java.io.IOException {
        return NodeLogs.summary(t.label(), cluster.logLinesContaining(" WARN "), cluster.logLinesContaining(" ERROR "))
                + " (logs under `" + cluster.dir() + "`).";
    }

    static String minutes(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? s / 60 + " min " + s % 60 + " s" : s + " s";
    }
}
