package io.quarkiverse.level2pc.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.quarkiverse.level2pc.node.CatchUps;
import io.quarkiverse.level2pc.runtime.NodeAssembly;

/**
 * One seeded run of a whole 3-node cluster in memory (the cluster simulation): the real core, node,
 * codec and transport code of every node, over {@link io.quarkiverse.level2pc.storage.MemoryStore}s and a
 * {@link SimNetwork}, on one virtual clock. Clients write and read while the scenario's faults happen;
 * then the faults heal, crashed nodes restart, recovery runs until nothing is in doubt, every key is read
 * on every node, and {@link SimChecks} judges the run. The seed decides everything: the same seed gives the
 * same run, event for event.
 */
final class ClusterSimulation {

    /** The faults a run injects (each at seeded moments, for seeded durations). */
    enum Fault {
        NONE,
        /** A node's process dies ({@code kill -9}: what it wrote survives) and restarts. */
        CRASH,
        /** A node's machine loses power (its unsynced writes are lost) and restarts. */
        POWER_LOSS,
        /** One node cut off from both others, both directions. */
        ISOLATE,
        /** One direction of one link cut. */
        ONE_WAY,
        /** Two nodes cannot talk; each still talks to the third. */
        BRIDGE,
        /** One link cut and restored, again and again. */
        FLAPPING,
        /** Messages lost (5-15%, requests and answers). */
        LOSSY,
        /** Requests delivered twice, and messages delayed so they overtake each other. */
        DUPLICATES,
        /** Long delays (up to half a second), beyond lock waits and leases. */
        DELAYS,
        /** Several of the above in one run. */
        MIXED
    }

    /** A run's set-up. {@code tweak} may plant a fault of its own into the nodes before the workload starts. */
    record Scenario(long seed, boolean quorum, Fault fault, boolean trace, Consumer<List<SimNode>> tweak) {
        Scenario(long seed, boolean quorum, Fault fault, boolean trace) {
            this(seed, quorum, fault, trace, nodes -> {
            });
        }

        @Override
        public String toString() {
            return "seed " + seed + ", " + (quorum ? "quorum mode" : "full replication") + ", " + fault;
        }
    }

    /** What a run found: the violations of {@link SimChecks} (empty: correct), its operations, its trace. */
    record Outcome(Scenario scenario, List<String> violations, int operations, long events, List<String> trace) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    static final int CLIENTS = 3;
    static final long WORKLOAD_MILLIS = 1_500;
    static final long SYNC_MICROS = 300;

    private final Scenario scenario;
    private final SimScheduler scheduler = new SimScheduler();
    private final Random random;
    private final Trace trace;
    private final SimNetwork network;
    private final List<SimNode> nodes = new ArrayList<>();
    private final SimWorkload workload;
    private long catchUpPageBytes = CatchUps.DEFAULT_PAGE_BYTES;

    ClusterSimulation(Scenario scenario) {
        this.scenario = scenario;
        this.random = new Random(scenario.seed());
        this.trace = new Trace(scheduler, scenario.trace());
        this.network = new SimNetwork(scheduler, random, trace, 800);
        for (String name : List.of("a", "b", "c")) {
            SimNode n = new SimNode(name, scheduler, SYNC_MICROS);
            nodes.add(n);
            network.attach(n);
        }
        this.workload = new SimWorkload(scheduler, nodes, random, trace, Duration.ofMillis(1_500));
    }

    static Outcome run(Scenario scenario) {
        return new ClusterSimulation(scenario).run();
    }

    /** The page budget of the nodes' catch-up answers (quorum mode), for nodes started from now on. */
    void catchUpPageBytes(long bytes) {
        this.catchUpPageBytes = bytes;
    }

    private NodeAssembly.Settings settings(SimNode n) {
        List<String> peers = nodes.stream().filter(o -> o != n).map(o -> o.address).toList();
        return new NodeAssembly.Settings(n.name, "sim", peers, scenario.quorum() ? 1 : 2, Duration.ofMillis(600),
                Duration.ofMillis(400), Duration.ofMillis(100), 3, Duration.ofMillis(300), Duration.ofMillis(150),
                Duration.ofMillis(600), false, catchUpPageBytes);
    }

    private void start(SimNode n) {
        n.start(settings(n), network, random);
        trace.log("%s started (incarnation %d)", n.name, n.incarnation());
    }

    Outcome run() {
        nodes.forEach(this::start);
        scheduler.runFor(1_200); // connect; in quorum mode, the promises of a start run out
        scenario.tweak().accept(nodes);
        runUntilDone(workload.seedAccounts(nodes.get(0)), 5_000);
        workload.start(CLIENTS, WORKLOAD_MILLIS);
        injectFaults();
        long deadline = scheduler.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!workload.done() && scheduler.nanoTime() < deadline) {
            scheduler.runFor(50);
        }
        return finish();
    }

    // ---- for scripted scenarios (golden traces) -----------------------------------------------

    /** Starts every node and lets them connect. */
    void startAll() {
        nodes.forEach(this::start);
        scheduler.runFor(1_200);
    }

    SimNode node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
    }

    SimNetwork network() {
        return network;
    }

    void runFor(long millis) {
        scheduler.runFor(millis);
    }

    /** Runs {@code action} right after the current step (a script's hook must not crash a node under its own feet). */
    void runSoon(Runnable action) {
        scheduler.at(0, action);
    }

    /** A standalone write of {@code key=value} through {@code node} by client 0, recorded like the workload's. */
    java.util.concurrent.CompletableFuture<Void> put(SimNode node, String key, String value) {
        return workload.put(node, key, value);
    }

    /** A read of {@code key} on {@code node} by client 1, recorded like the workload's (checked for linearizability). */
    java.util.concurrent.CompletableFuture<String> get(SimNode node, String key) {
        return workload.get(node, key);
    }

    /** {@code node} crashes now (a power loss loses its unsynced writes). */
    void crashNow(SimNode n, boolean powerLoss) {
        trace.log("%s %s", n.name, powerLoss ? "loses power" : "crashes");
        n.crash(powerLoss);
        workload.crashed(n.name);
    }

    void restart(SimNode n) {
        start(n);
    }

    /** Heals every fault, restarts every node, lets recovery run, reads every key everywhere, and checks. */
    Outcome finish() {
        heal();
        List<String> violations = new ArrayList<>();
        String busy = quiesce();
        if (busy != null) {
            violations.add("not quiescent 30 s after healing: " + busy);
        } else {
            runUntilDone(workload.finalReads(), 10_000);
            violations.addAll(SimChecks.check(nodes, workload.ops));
        }
        return new Outcome(scenario, violations, workload.ops.size(), scheduler.executed(), trace.lines());
    }

    private void runUntilDone(java.util.concurrent.CompletableFuture<?> f, long maxMillis) {
        long deadline = scheduler.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        while (!f.isDone() && scheduler.nanoTime() < deadline) {
            scheduler.runFor(10);
        }
    }

    private String quiesce() {
        String busy = SimChecks.notQuiescent(nodes);
        for (int i = 0; i < 120 && busy != null; i++) {
            scheduler.runFor(250);
            busy = SimChecks.notQuiescent(nodes);
        }
        return busy;
    }

    private void heal() {
        network.heal();
        trace.log("heal: links restored, message faults off");
        for (SimNode n : nodes) {
            n.clock().setRate(1.0);
            if (!n.isUp()) {
                start(n);
            }
        }
    }

    // ---- faults -----------------------------------------------------------------------------

    private long at() {
        return TimeUnit.MILLISECONDS.toNanos(random.nextInt((int) WORKLOAD_MILLIS));
    }

    private long lasting(int minMillis, int maxMillis) {
        return TimeUnit.MILLISECONDS.toNanos(minMillis + random.nextInt(maxMillis - minMillis));
    }

    private SimNode anyNode() {
        return nodes.get(random.nextInt(nodes.size()));
    }

    private void injectFaults() {
        Fault f = scenario.fault();
        if (f == Fault.MIXED) {
            Fault[] kinds = { Fault.CRASH, Fault.POWER_LOSS, Fault.ISOLATE, Fault.ONE_WAY, Fault.BRIDGE, Fault.LOSSY, Fault.DUPLICATES };
            for (int i = 0; i < 3; i++) {
                inject(kinds[random.nextInt(kinds.length)]);
            }
        } else {
            inject(f);
        }
    }

    private void inject(Fault f) {
        switch (f) {
            case NONE -> {
            }
            case CRASH, POWER_LOSS -> crash(anyNode(), at(), lasting(50, 1_200), f == Fault.POWER_LOSS);
            case ISOLATE -> {
                SimNode n = anyNode();
                long t = at();
                long d = lasting(100, 1_500);
                for (SimNode o : nodes) {
                    if (o != n) {
                        cut(n, o, t, d);
                        cut(o, n, t, d);
                    }
                }
            }
            case ONE_WAY -> {
                SimNode a = anyNode();
                SimNode b = other(a);
                cut(a, b, at(), lasting(100, 1_500));
            }
            case BRIDGE -> {
                SimNode a = anyNode();
                SimNode b = other(a);
                long t = at();
                long d = lasting(100, 1_500);
                cut(a, b, t, d);
                cut(b, a, t, d);
            }
            case FLAPPING -> {
                SimNode a = anyNode();
                SimNode b = other(a);
                for (long t = 0; t < TimeUnit.MILLISECONDS.toNanos(WORKLOAD_MILLIS); t += lasting(60, 300)) {
                    long d = lasting(20, 150);
                    cut(a, b, t, d);
                    cut(b, a, t, d);
                }
            }
            case LOSSY -> network.faults(new SimNetwork.Faults(0.05 + random.nextDouble() * 0.1, 0.05 + random.nextDouble() * 0.1, 0,
                    50, 2_000));
            case DUPLICATES -> network.faults(new SimNetwork.Faults(0, 0, 0.2, 50, 5_000));
            case DELAYS -> network.faults(new SimNetwork.Faults(0, 0, 0, 1_000, 500_000));
            case MIXED -> throw new IllegalArgumentException("MIXED is a set of faults");
        }
    }

    private SimNode other(SimNode n) {
        List<SimNode> others = nodes.stream().filter(o -> o != n).toList();
        return others.get(random.nextInt(others.size()));
    }

    private void crash(SimNode n, long t, long down, boolean powerLoss) {
        scheduler.at(t, () -> {
            if (n.isUp()) {
                trace.log("%s %s", n.name, powerLoss ? "loses power" : "crashes");
                n.crash(powerLoss);
                workload.crashed(n.name);
                scheduler.at(down, () -> {
                    if (!n.isUp()) {
                        start(n);
                    }
                });
            }
        });
    }

    private void cut(SimNode from, SimNode to, long t, long d) {
        scheduler.at(t, () -> {
            trace.log("link %s->%s cut", from.name, to.name);
            network.cut(from, to);
        });
        scheduler.at(t + d, () -> {
            trace.log("link %s->%s restored", from.name, to.name);
            network.uncut(from, to);
        });
    }
}
