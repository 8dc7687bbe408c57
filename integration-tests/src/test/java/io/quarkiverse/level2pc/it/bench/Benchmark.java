package io.quarkiverse.level2pc.it.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

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
 * the bank accounts), then an etcd cluster (preloaded with the key space) as the point of comparison,
 * all driven over HTTP by the same closed-loop clients. Before its cells, each cluster's CPU use
 * without load is measured. Each cell (workload × clients × target) runs a warm-up, then the measured
 * window; the results go to stdout and to {@code target/benchmark.md}. See {@link BenchParams} for the
 * parameters.
 */
class Benchmark {

    static final Path OUTPUT = Path.of("target", "benchmark.md");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private BenchParams params;
    private Keyspace space;
    private LoadDriver driver;
    private final List<CellResult> results = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> nodeLogs = new ArrayList<>();
    private final Map<Target, Double> idle = new LinkedHashMap<>();

    @Test
    void run() throws Exception {
        params = BenchParams.fromSystemProperties();
        Path target = Path.of("target").toAbsolutePath();
        Machine machine = Machine.describe(target);
        LocalDateTime started = LocalDateTime.now();
        double loadBefore = Machine.loadAverage();
        long t0 = System.nanoTime();
        Duration perCell = params.warmup().plus(params.duration());
        System.out.println("=== quarkus-level-2pc benchmark");
        params.asProperties().forEach((k, v) -> System.out.println("  " + k + "=" + v));
        machine.facts().forEach((k, v) -> System.out.println("  " + k + ": " + v));
        System.out.printf(Locale.ROOT, "  %d cells of %s (warm-up + window): at least %s, plus starts, preloads and idle "
                + "windows%n", params.cellCount(), BenchParams.format(perCell), minutes(perCell.multipliedBy(params.cellCount())));

        space = new Keyspace(params.keys(), params.accounts(), params.valueSize(), params.seed());
        Path runs = target.resolve("cluster-runs");
        String stamp = started.format(STAMP);

        if (params.baseline() && params.workloads().stream().anyMatch(w -> w.hasBaseline)) {
            Path dir = runs.resolve("leveldb-" + stamp);
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

        try (LoadDriver d = new LoadDriver()) {
            driver = d;
            for (int n : params.nodes()) {
                nodes(new Target(n));
            }
            if (params.etcd() > 0) {
                etcd(Target.etcd(params.etcd()), runs.resolve("etcd-" + stamp));
            }
        }

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        notes.add(0, "Run on " + started.toLocalDate() + " at " + started.toLocalTime().withNano(0) + ", took "
                + minutes(took) + String.format(Locale.ROOT, "; load average (1 min) %.2f before, %.2f after",
                        loadBefore, Machine.loadAverage())
                + " (anything else running on the machine shares its cores with the nodes and the clients).");
        notes.add(1, "Clients: closed loop (each sends its next request when the previous answer has been read), one "
                + "keep-alive HTTP/1.1 connection each, client i on node (or etcd member) i mod n; all on one Vert.x event "
                + "loop thread in the harness's JVM. LevelDB (local): the same operations on an iq80 LevelDB in the "
                + "harness's JVM, one thread per client, every write synced.");
        notes.add(2, "Nodes: the demo application (`target/quarkus-app`), one JVM each on 127.0.0.1, JVM options `"
                + String.join(" ", params.nodeJvmOptions()) + "`, data under `target/cluster-runs/`.");
        Report report = new Report(machine, params, results, idle, notes, nodeLogs);
        String markdown = report.markdown();
        Files.writeString(OUTPUT, markdown);
        System.out.println();
        System.out.println(markdown);
        long failed = results.stream().filter(CellResult::hasErrors).count();
        System.out.println("=== written to " + OUTPUT.toAbsolutePath() + (failed == 0 ? "; no errors"
                : "; " + failed + " cell(s) with errors, marked " + Report.WARN));
    }

    /** A fresh cluster of demo-app nodes: preload, JIT warm-up, idle CPU, the cells. */
    private void nodes(Target t) throws Exception {
        System.out.println("=== starting " + t.label());
        try (BenchCluster cluster = BenchCluster.start("bench-" + t.size(), t.size(), params.nodeJvmOptions())) {
            long p0 = System.nanoTime();
            Preload preload = new Preload(cluster.baseUris());
            preload.keys(space);
            boolean bank = params.workloads().stream().anyMatch(Workload::isBank);
            if (bank) {
                preload.accounts(space);
            }
            System.out.printf(Locale.ROOT, "    preloaded %d keys and %d accounts in %d ms%n", space.keys,
                    bank ? space.accounts : 0, (System.nanoTime() - p0) / 1_000_000);
            // The nodes' JIT compilers need a minute of traffic before the hot paths are compiled: measured on
            // 3 nodes, C2 still took 35-44 % of each node's CPU 20 s into the load (put at 1 client: 154/s and
            // 11 ms of CPU per put after 20 s of warm-up, 482/s and p50 1.49 ms after 60 s). Measured cells must
            // not pay for that; the warm-up runs every path the cells take (standalone, JTA, reads).
            Duration jit = jitWarmup();
            if (!jit.isZero()) {
                System.out.printf(Locale.ROOT, "    JIT warm-up: %d s of put, bank and get at 16 clients, not measured%n",
                        jit.toSeconds());
                driver.run(t, cluster.baseUris(), Workload.PUT, 16, space, params.seed(), Duration.ZERO, jit.dividedBy(3));
                if (bank) {
                    driver.run(t, cluster.baseUris(), Workload.BANK, 16, space, params.seed(), Duration.ZERO, jit.dividedBy(3));
                }
                driver.run(t, cluster.baseUris(), Workload.GET, 16, space, params.seed(), Duration.ZERO, jit.dividedBy(3));
            }
            measureIdle(t, cluster::cpuNanos);
            cells(t, cluster.baseUris(), cluster::checkNodesAlive, cluster::cpuNanos);
            cluster.checkNodesAlive();
            nodeLogs.add(NodeLogs.summary(t.label(), cluster.logLinesContaining(" WARN "), cluster.logLinesContaining(" ERROR "))
                    + " (logs under `" + Machine.fromRepository(cluster.dir()) + "`).");
        }
    }

    /** etcd, if there is one or it can be installed: preload, idle CPU, the cells etcd has a counterpart for. */
    private void etcd(Target t, Path dir) throws Exception {
        Path binary;
        try {
            binary = EtcdBinary.locate(dir, notes);
        } catch (EtcdBinary.Unavailable e) {
            skipEtcd(e.getMessage());
            return;
        }
        String version = EtcdBinary.version(binary);
        System.out.println("=== starting " + t.label() + " (" + version + ", " + binary + ") in " + dir);
        EtcdCluster cluster;
        try {
            cluster = EtcdCluster.start(binary, t.size(), dir);
        } catch (IOException e) {
            skipEtcd("could not start " + t.label() + ": " + e.getMessage());
            return;
        }
        try (cluster) {
            long p0 = System.nanoTime();
            new Preload(Target.Kind.ETCD, cluster.baseUris()).keys(space);
            System.out.printf(Locale.ROOT, "    preloaded %d keys in %d ms%n", space.keys, (System.nanoTime() - p0) / 1_000_000);
            measureIdle(t, cluster::cpuNanos);
            cells(t, cluster.baseUris(), cluster::checkAlive, cluster::cpuNanos);
            cluster.checkAlive();
            nodeLogs.add(cluster.logSummary(t.label()) + " (logs under `" + Machine.fromRepository(cluster.dir()) + "`).");
        }
        List<String> left = params.workloads().stream().filter(w -> !w.onEtcd).map(Workload::label).toList();
        notes.add(t.label() + ": " + version + " (`" + binary + "`), one process per member on 127.0.0.1, static "
                + "`--initial-cluster`, etcd's defaults otherwise (the raft log fsynced before a write is acknowledged), "
                + "data under `" + Machine.fromRepository(dir) + "`. The same clients through its JSON gateway: put = `POST /v3/kv/put`, batch = "
                + "`POST /v3/kv/txn` of the 10 puts without compare, get = linearizable `POST /v3/kv/range` (an answer "
                + "without the key is an error), mixed the same 90/10 of those, ping = `GET /version`."
                + (left.isEmpty() ? "" : " Not run on etcd: " + String.join(", ", left)
                        + " (no counterpart: a transfer is a transaction that reads before it writes)."));
    }

    private void skipEtcd(String reason) {
        System.out.println("=== etcd skipped: " + reason);
        notes.add("etcd skipped: " + reason);
    }

    private void cells(Target t, List<URI> uris, Runnable checkAlive, LongSupplier cpuNanos) throws InterruptedException {
        for (Workload w : params.workloads()) {
            if (t.isEtcd() && !w.onEtcd) {
                continue;
            }
            for (int clients : params.clients()) {
                checkAlive.run();
                results.add(report(driver.run(t, uris, w, clients, space, params.seed(), params.warmup(), params.duration(),
                        cpuNanos)));
            }
        }
    }

    /** The CPU the target's processes use over {@code bench.idle} without any request, in % of one core. */
    private void measureIdle(Target t, LongSupplier cpuNanos) {
        if (params.idle().isZero()) {
            return;
        }
        LockSupport.parkNanos(Report.IDLE_SETTLE.toNanos());
        long c0 = cpuNanos.getAsLong();
        long w0 = System.nanoTime();
        LockSupport.parkNanos(params.idle().toNanos());
        long c1 = cpuNanos.getAsLong();
        long w1 = System.nanoTime();
        double percent = 100.0 * (c1 - c0) / (w1 - w0);
        idle.put(t, percent);
        System.out.printf(Locale.ROOT, "    idle: %.2f %% of one core over %s without load%n", percent,
                BenchParams.format(params.idle()));
    }

    private static CellResult report(CellResult c) {
        System.out.println("    " + Report.summary(c));
        return c;
    }

    /**
     * {@code bench.jit-warmup} (default 300s): unmeasured load on every freshly started cluster of nodes, until their
     * JIT compilers are done (after 90 s the same code measured anywhere from 443 to 1,203 PUT/s at 16 clients).
     */
    static Duration jitWarmup() {
        return BenchParams.duration(System.getProperty("bench.jit-warmup", "300s"));
    }

    static String minutes(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? s / 60 + " min " + s % 60 + " s" : s + " s";
    }
}
