package io.quarkiverse.level2pc.it.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The results of a run as Markdown: machine, parameters, one row per cell, idle CPU, ratios, errors. */
final class Report {

    static final String WARN = "⚠";
    static final String NONE = "–";
    /** The pause between the last load on a target and its idle measurement. */
    static final Duration IDLE_SETTLE = Duration.ofSeconds(1);

    private final Machine machine;
    private final BenchParams params;
    private final List<CellResult> cells;
    private final List<String> notes;
    private final List<String> nodeLogs;
    private final Map<Target, Double> idleCpuPercent;

    Report(Machine machine, BenchParams params, List<CellResult> cells, List<String> notes, List<String> nodeLogs) {
        this(machine, params, cells, Map.of(), notes, nodeLogs);
    }

    /**
     * @param idleCpuPercent the CPU the servers of each target used without load, in % of one core
     * @param notes facts about the run itself (when, how long, load average, the nodes' JVM options...),
     *        one Markdown list item each
     * @param nodeLogs what the nodes logged at WARN and ERROR ({@link NodeLogs#summary}), one item per cluster
     */
    Report(Machine machine, BenchParams params, List<CellResult> cells, Map<Target, Double> idleCpuPercent,
            List<String> notes, List<String> nodeLogs) {
        this.machine = machine;
        this.idleCpuPercent = new TreeMap<>(idleCpuPercent);
        this.params = params;
        this.cells = cells.stream().sorted(Comparator.comparing((CellResult c) -> c.workload())
                .thenComparingInt(CellResult::clients).thenComparing(CellResult::target)).toList();
        this.notes = notes;
        this.nodeLogs = nodeLogs;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# quarkus-level-2pc benchmark\n\n");
        for (String n : notes) {
            b.append("* ").append(n).append('\n');
        }
        b.append("\n## Machine\n\n| | |\n|---|---|\n");
        machine.facts().forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        b.append("\n## Parameters\n\n| Parameter | Value |\n|---|---|\n");
        params.asProperties().forEach((k, v) -> b.append("| `").append(k).append("` | `").append(v).append("` |\n"));
        b.append("\nRepeat with `");
        params.asProperties().forEach((k, v) -> b.append("-D").append(k).append('=').append(v.contains(" ") ? "'" + v + "'" : v)
                .append(' '));
        b.setLength(b.length() - 1);
        b.append("`.\n");
        results(b);
        idle(b);
        ratios(b);
        new VersusEtcd(params, this::cell, idleCpuPercent).append(b);
        getVersusPing(b);
        errors(b);
        if (!nodeLogs.isEmpty()) {
            b.append("\n## Node logs\n\n");
            nodeLogs.forEach(n -> b.append("* ").append(n).append('\n'));
        }
        return b.toString();
    }

    private void results(StringBuilder b) {
        b.append("\n## Results\n\n");
        b.append("ops/s: operations answered 2xx (LevelDB: returned) within the measured window, per second. "
                + "Latencies: of those operations, measured by the client from sending the request to reading the whole "
                + "answer, in ms; " + NONE + " where there are too few samples for the percentile (fewer than 100 for "
                + "p99, 1000 for p99.9). conflicts: answers 409 within the window, not counted as operations. conflict p99: "
                + "how long those answers took, at p99 (" + NONE + ": fewer than 100 conflicts). errors: every other "
                + "failure of the cell, warm-up and drain included; a row with errors is marked " + WARN + ". "
                + "CPU ms/op: CPU time used by all server processes (nodes or etcd members) during the window, per "
                + "operation (" + NONE + " for the local LevelDB, which runs in the harness's JVM).\n\n");
        b.append("| Workload | Clients | Target | ops/s | p50 | p99 | p99.9 | max | ops | conflicts | conflict p99 | errors "
                + "| CPU ms/op |\n");
        b.append("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (CellResult c : cells) {
            b.append("| ").append(c.workload().label()).append(" | ").append(c.clients()).append(" | ")
                    .append(c.target().label()).append(" | ").append(rate(c.opsPerSecond())).append(" | ")
                    .append(millis(c.percentileMillis(50))).append(" | ").append(millis(c.percentileMillis(99))).append(" | ")
                    .append(millis(c.percentileMillis(99.9))).append(" | ").append(millis(c.maxMillis())).append(" | ")
                    .append(c.ok()).append(" | ").append(conflicts(c)).append(" | ")
                    .append(millis(c.conflictPercentileMillis(99))).append(" | ").append(errorCell(c)).append(" | ")
                    .append(Double.isNaN(c.cpuMillisPerOp()) ? NONE : millis(c.cpuMillisPerOp())).append(" |\n");
        }
    }

    private void idle(StringBuilder b) {
        if (idleCpuPercent.isEmpty()) {
            return;
        }
        b.append("\n## Idle CPU\n\n");
        b.append("CPU time used by all of a target's server processes during `bench.idle` (" + BenchParams.format(params.idle())
                + ") without any request, after its preload (and the nodes' JIT warm-up) and a pause of "
                + BenchParams.format(IDLE_SETTLE) + ", in % of one core (100 % = one core busy the whole time).\n\n");
        b.append("| Target | % of one core |\n|---|--:|\n");
        idleCpuPercent.forEach((t, pct) -> b.append("| ").append(t.label()).append(" | ").append(percent(pct)).append(" |\n"));
    }

    /** Each larger node count against each smaller one, and every node count against the local LevelDB. */
    List<Target[]> comparisons() {
        List<Target> targets = new ArrayList<>();
        params.nodes().stream().sorted(Comparator.reverseOrder()).forEach(n -> targets.add(new Target(n)));
        List<Target[]> pairs = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            for (int j = i + 1; j < targets.size(); j++) {
                pairs.add(new Target[] { targets.get(i), targets.get(j) });
            }
        }
        if (params.baseline()) {
            for (Target t : targets) {
                pairs.add(new Target[] { t, Target.LOCAL_LEVELDB });
            }
        }
        return pairs;
    }

    private void ratios(StringBuilder b) {
        List<Target[]> pairs = comparisons();
        if (pairs.isEmpty()) {
            return;
        }
        b.append("\n## Ratios\n\n");
        b.append("Throughput and p50 latency of one target divided by another's, same workload and clients "
                + "(" + WARN + ": one of the two cells had errors; " + NONE + ": a cell is missing or has no operations).\n\n");
        b.append("| Workload | Clients |");
        StringBuilder rule = new StringBuilder("|---|--:|");
        for (Target[] p : pairs) {
            String name = p[0].label() + " ÷ " + p[1].label();
            b.append(" ops/s ").append(name).append(" | p50 ").append(name).append(" |");
            rule.append("--:|--:|");
        }
        b.append('\n').append(rule).append('\n');
        for (Workload w : params.workloads()) {
            for (int clients : params.clients()) {
                StringBuilder row = new StringBuilder("| " + w.label() + " | " + clients + " |");
                boolean any = false;
                for (Target[] p : pairs) {
                    Optional<CellResult> x = cell(w, clients, p[0]);
                    Optional<CellResult> y = cell(w, clients, p[1]);
                    any |= x.isPresent() && y.isPresent();
                    row.append(' ').append(ratio(x, y, CellResult::opsPerSecond)).append(" | ")
                            .append(ratio(x, y, c -> c.percentileMillis(50))).append(" |");
                }
                if (any) {
                    b.append(row).append('\n');
                }
            }
        }
    }

    private void getVersusPing(StringBuilder b) {
        if (!params.workloads().contains(Workload.GET) || !params.workloads().contains(Workload.PING)) {
            return;
        }
        b.append("\n## get ÷ ping\n\n");
        b.append("A read of the database (`GET /kv/{key}`) against a trivial endpoint of the same application "
                + "(`GET /ping`), same nodes and clients.\n\n");
        b.append("| Target | Clients | ops/s get ÷ ping | p50 get ÷ ping |\n|---|--:|--:|--:|\n");
        List<Target> targets = new ArrayList<>(params.nodes().stream().map(Target::new).toList());
        params.etcdTarget().ifPresent(targets::add);
        for (Target t : targets) {
            for (int clients : params.clients()) {
                Optional<CellResult> get = cell(Workload.GET, clients, t);
                Optional<CellResult> ping = cell(Workload.PING, clients, t);
                b.append("| ").append(t.label()).append(" | ").append(clients).append(" | ")
                        .append(ratio(get, ping, CellResult::opsPerSecond)).append(" | ")
                        .append(ratio(get, ping, c -> c.percentileMillis(50))).append(" |\n");
            }
        }
    }

    private void errors(StringBuilder b) {
        b.append("\n## Errors\n\n");
        List<CellResult> failed = cells.stream().filter(CellResult::hasErrors).toList();
        if (failed.isEmpty()) {
            b.append("None: every request of every cell, warm-up included, was answered 2xx or 409.\n");
            return;
        }
        for (CellResult c : failed) {
            b.append("* ").append(WARN).append(' ').append(c.key()).append(": ").append(c.errorCount()).append(" error(s)");
            appendKinds(b, "in the window", c.errors());
            appendKinds(b, "during warm-up or drain", c.errorsOutsideWindow());
            b.append('\n');
        }
    }

    private static void appendKinds(StringBuilder b, String when, Map<String, Long> kinds) {
        if (kinds.isEmpty()) {
            return;
        }
        b.append("; ").append(when).append(": ");
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, v) -> parts.add(v + " × `" + k.replace('`', '\'') + "`"));
        b.append(String.join(", ", parts));
    }

    Optional<CellResult> cell(Workload w, int clients, Target t) {
        return cells.stream().filter(c -> c.workload() == w && c.clients() == clients && c.target().equals(t)).findFirst();
    }

    static String ratio(Optional<CellResult> x, Optional<CellResult> y, java.util.function.ToDoubleFunction<CellResult> f) {
        if (x.isEmpty() || y.isEmpty()) {
            return NONE;
        }
        String r = ratio(f.applyAsDouble(x.get()), f.applyAsDouble(y.get()));
        return x.get().hasErrors() || y.get().hasErrors() ? r + " " + WARN : r;
    }

    /** {@code x / y} to 3 significant digits, or {@link #NONE} if either is missing or {@code y} is 0. */
    static String ratio(double x, double y) {
        if (Double.isNaN(x) || Double.isNaN(y) || y == 0) {
            return NONE;
        }
        return significant(x / y, 3);
    }

    static String significant(double v, int digits) {
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(digits)).stripTrailingZeros().toPlainString();
    }

    /** Operations per second: no decimals from 100 up, one below. */
    static String rate(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return NONE;
        }
        return perSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", perSecond) : String.format(Locale.ROOT, "%.1f", perSecond);
    }

    /** Milliseconds to 3 significant digits (no decimals from 100 ms up): 432, 43.2, 4.32, 0.432, 0.000432. */
    static String millis(double ms) {
        if (Double.isNaN(ms)) {
            return NONE;
        }
        if (ms <= 0) {
            return "0";
        }
        int decimals = Math.max(0, 2 - (int) Math.floor(Math.log10(ms)));
        return String.format(Locale.ROOT, "%." + decimals + "f", ms);
    }

    /** A percentage to 2 decimals. */
    static String percent(double pct) {
        return Double.isNaN(pct) ? NONE : String.format(Locale.ROOT, "%.2f", pct);
    }

    static String conflicts(CellResult c) {
        if (c.conflicts() == 0) {
            return "0";
        }
        return c.conflicts() + " (" + String.format(Locale.ROOT, "%.1f", c.conflictPercent()) + " %)";
    }

    static String errorCell(CellResult c) {
        return c.hasErrors() ? "**" + c.errorCount() + "** " + WARN : "0";
    }

    /** One line for the progress log. */
    static String summary(CellResult c) {
        return String.format(Locale.ROOT, "%-36s %9s ops/s  p50 %7s  p99 %7s  p99.9 %7s  max %7s ms  ops %d  conflicts %s"
                + " (p99 %s ms)  errors %s",
                c.key(), rate(c.opsPerSecond()), millis(c.percentileMillis(50)), millis(c.percentileMillis(99)),
                millis(c.percentileMillis(99.9)), millis(c.maxMillis()), c.ok(), conflicts(c),
                millis(c.conflictPercentileMillis(99)),
                c.hasErrors() ? c.errorCount() + " " + WARN + " " + c.errors() + c.errorsOutsideWindow() : "0");
    }
}
