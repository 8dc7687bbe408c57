package io.quarkiverse.level2pc.it.bench;

import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * The report's section that counts: the largest node count against etcd, workload by workload, in
 * throughput, p50 latency and CPU per operation, and without load.
 */
final class VersusEtcd {

    /** A cell of the run, if it was measured. */
    interface Cells {
        Optional<CellResult> cell(Workload w, int clients, Target t);
    }

    private final BenchParams params;
    private final Cells cells;
    private final Map<Target, Double> idleCpuPercent;

    VersusEtcd(BenchParams params, Cells cells, Map<Target, Double> idleCpuPercent) {
        this.params = params;
        this.cells = cells;
        this.idleCpuPercent = idleCpuPercent;
    }

    /** Nothing unless both the nodes and etcd were to be measured. */
    void append(StringBuilder b) {
        Optional<Target> etcd = params.etcdTarget();
        Optional<Target> ours = params.nodes().stream().max(Comparator.naturalOrder()).map(Target::new);
        if (etcd.isEmpty() || ours.isEmpty()) {
            return;
        }
        Target x = ours.get();
        Target y = etcd.get();
        b.append("\n## ").append(x.label()).append(" vs etcd\n\n");
        b.append(x.label()).append(" divided by ").append(y.label()).append(", same workload, clients, driver and run: "
                + "ops/s (above 1: ours answers more), p50 latency (below 1: ours answers sooner), CPU ms/op of all "
                + "server processes (below 1: ours costs less per operation). " + Report.WARN + ": one of the two cells "
                + "had errors; " + Report.NONE + ": no figure. Only the workloads etcd has: not bank nor hot-bank.\n\n");
        b.append("| Workload | Clients | ops/s ÷ | p50 ÷ | CPU ms/op ÷ |\n|---|--:|--:|--:|--:|\n");
        int rows = 0;
        for (Workload w : params.workloads()) {
            for (int clients : params.clients()) {
                Optional<CellResult> a = cells.cell(w, clients, x);
                Optional<CellResult> e = cells.cell(w, clients, y);
                if (a.isEmpty() || e.isEmpty()) {
                    continue;
                }
                rows++;
                b.append("| ").append(w.label()).append(" | ").append(clients).append(" | ")
                        .append(Report.ratio(a, e, CellResult::opsPerSecond)).append(" | ")
                        .append(Report.ratio(a, e, c -> c.percentileMillis(50))).append(" | ")
                        .append(Report.ratio(a, e, CellResult::cpuMillisPerOp)).append(" |\n");
            }
        }
        if (rows == 0) {
            b.append("| " + Report.NONE + " | | | | |\n\nNo workload was measured on both (etcd skipped? see the notes).\n");
        }
        Double idleOurs = idleCpuPercent.get(x);
        Double idleEtcd = idleCpuPercent.get(y);
        if (idleOurs != null && idleEtcd != null) {
            b.append("\nWithout load: ").append(x.label()).append(' ').append(Report.percent(idleOurs)).append(" % of one core, ")
                    .append(y.label()).append(' ').append(Report.percent(idleEtcd)).append(" %; ratio ")
                    .append(Report.ratio(idleOurs, idleEtcd)).append(".\n");
        }
    }
}
