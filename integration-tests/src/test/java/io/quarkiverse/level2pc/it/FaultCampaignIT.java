package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.CampaignLoad.Kind;
import io.quarkiverse.level2pc.it.CampaignLoad.Op;
import io.quarkiverse.level2pc.it.CampaignLoad.Outcome;
import io.quarkiverse.level2pc.it.DemoClient.Reply;
import io.quarkiverse.level2pc.sim.RegisterLinearizability.Operation;
import io.quarkiverse.level2pc.sim.RegisterLinearizability;

/**
 * The seeded fault campaign: a 3-node cluster on loopback under a client load (register writes and
 * reads, set adds, two-key batches, bank transfers, scans), with one fault per round: {@code kill -9}
 * of one or two nodes, {@code SIGSTOP} of a node for 1-4 s, or a crash point inside the protocol
 * injected with Byteman (see {@link CampaignFault}). After each fault the dead nodes are restarted
 * (same data, same port, without the agent), the test waits until every node is ready with nothing in
 * doubt (the time to recovery), then checks: no acknowledged write lost, nothing applied that was not
 * attempted or that definitely failed, no half-applied two-key transaction, identical nodes, nothing
 * left in doubt, no heuristic outcome in the logs, and every single-key history linearizable
 * (Wing-Gong-Lowe; a write of unknown outcome may take effect at any later time, or never).
 * <p>
 * Short run (part of {@code ./mvnw verify}): {@value #SHORT_ROUNDS} rounds, one per fault kind, in a
 * seeded order. Long run, e.g.:
 *
 * <pre>
 * ./mvnw -B -pl integration-tests -am verify -Dit.test=FaultCampaignIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dcampaign.rounds=50 -Dcampaign.seed=1234
 * </pre>
 *
 * {@code campaign.seed} (random if absent, printed first) fixes every choice: the faults and their
 * order, the nodes, the crash-point hit, the timings, every client's operations. Round {@code r}'s
 * choices depend only on the seed and {@code r}, so {@code -Dcampaign.rounds=r} with the same seed
 * replays the campaign up to round {@code r}. The interleaving (and so the exact moment of a fault
 * within the protocol) is not replayed. {@code -Dcampaign.faults=KILL_ONE,PAUSE,...} restricts the
 * faults (names of {@link CampaignFault}); {@code -Dcampaign.node.<property>=<value>} adds a system
 * property to every node. Data, node logs, Byteman scripts and failing histories are kept under
 * {@code integration-tests/target/cluster-runs/campaign-<time>/}.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class FaultCampaignIT {

    /** One round per fault kind: a short run still meets every kind once. */
    static final int SHORT_ROUNDS = CampaignFault.values().length;
    static final int CLIENTS = 6;
    static final Duration CRASH_TIMEOUT = Duration.ofSeconds(60);
    static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);

    /** Fast recovery (Narayana's scans every 2 s) and peer heartbeats, so that rounds stay short. */
    static final Map<String, String> NODE_PROPERTIES = nodeProperties();

    private static Map<String, String> nodeProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("RecoveryEnvironmentBean.periodicRecoveryPeriod", "2");
        p.put("RecoveryEnvironmentBean.recoveryBackoffPeriod", "1");
        p.put("JTAEnvironmentBean.orphanSafetyInterval", "2000");
        // The in-doubt resolver's settings (ignored, with a warning, by a runtime that does not have them yet).
        p.put("quarkus.level-2pc.recovery-period", "1s");
        p.put("quarkus.level-2pc.in-doubt-after", "1s");
        p.put("quarkus.level-2pc.heartbeat-interval", "500ms");
        // -Dcampaign.node.<property>=<value> adds (or overrides) a node property, e.g.
        // -Dcampaign.node.quarkus.level-2pc.commit-peers-in-background=false
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("campaign.node.")) {
                p.put(name.substring("campaign.node.".length()), System.getProperty(name));
            }
        }
        return p;
    }

    private ClusterProcesses cluster;
    private NetworkMesh mesh;
    private final Totals totals = new Totals();
    private final Set<String> attemptedKeys = new HashSet<>();
    private final Map<String, Integer> heuristicLinesSeen = new HashMap<>();
    private final AtomicReference<Boolean> adminInDoubt = new AtomicReference<>();

    /** The node properties of this campaign (a subclass runs it in another mode). */
    Map<String, String> campaignNodeProperties() {
        return NODE_PROPERTIES;
    }

    /** Rounds of the short run (without {@code -Dcampaign.rounds}). */
    int shortRounds() {
        return SHORT_ROUNDS;
    }

    /** The cluster's directory label under {@code target/cluster-runs}. */
    String label() {
        return "campaign";
    }

    @Test
    void seededFaultCampaign() throws Exception {
        Assumptions.assumeTrue(NodeProcess.NATIVE == null, "the crash points are injected by a Java agent (Byteman): JVM only");
        long seed = Long.getLong("campaign.seed", new SecureRandom().nextLong());
        int rounds = Integer.getInteger("campaign.rounds", shortRounds());
        Map<String, String> nodeProperties = campaignNodeProperties();
        List<CampaignFault> kinds = faultKinds(System.getProperty("campaign.faults"));
        System.out.printf("FaultCampaignIT seed=%d rounds=%d (replay: -Dcampaign.seed=%d -Dcampaign.rounds=%d%s)%n", seed, rounds,
                seed, rounds, System.getProperty("campaign.faults") == null ? "" : " -Dcampaign.faults=" + System.getProperty("campaign.faults"));
        List<CampaignFault> schedule = schedule(new Random(seed), kinds, rounds);
        System.out.println("[campaign] faults by round: " + schedule);
        System.out.println("[campaign] node properties: " + nodeProperties);
        long t0 = System.nanoTime();
        AtomicReference<NetworkMesh> meshRef = new AtomicReference<>();
        try (ClusterProcesses c = ClusterProcesses.start(label(), 3, nodeProperties, NodeProcess.TEST_JVM_OPTIONS,
                ports -> NetworkMesh.replace(meshRef, ports, seed))) {
            cluster = c;
            mesh = meshRef.get();
            for (int r = 1; r <= rounds; r++) {
                round(r, rounds, schedule.get(r - 1), new Random(seed + 0x9E3779B97F4A7C15L * r));
            }
        } finally {
            if (meshRef.get() != null) {
                meshRef.get().close();
            }
            System.out.println(totals.summary(seed, totals.rounds, (System.nanoTime() - t0) / 1_000_000));
        }
        String replay = " (seed " + seed + "; see the round reports above and the node logs under "
                + (cluster == null ? "target/cluster-runs" : cluster.dir) + ")";
        assertThat(totals.rounds).as("rounds run").isEqualTo(rounds);
        assertThat(totals.crashMissed).as("crash-point rounds whose crash point was not reached" + replay).isEmpty();
        assertThat(totals.unexpected).as("unexpected definite failures (400/404)" + replay).isEmpty();
        assertThat(totals.lost).as("lost acknowledged writes" + replay).isZero();
        assertThat(totals.phantom).as("writes applied though never attempted or definitely failed" + replay).isZero();
        assertThat(totals.half).as("half-applied two-key transactions" + replay).isZero();
        assertThat(totals.bank).as("bank rounds whose balances no set of possible transfers explains" + replay).isZero();
        assertThat(totals.divergent).as("keys that differ between nodes" + replay).isZero();
        assertThat(totals.inDoubtLeft).as("branches left in doubt" + replay).isZero();
        assertThat(totals.heuristic).as("heuristic outcomes in the node logs" + replay).isZero();
        assertThat(totals.nonLinearizable).as("non-linearizable keys" + replay).isZero();
        assertThat(totals.acked).as("acknowledged writes over the campaign").isGreaterThanOrEqualTo(10L * rounds);
    }

    // ---- schedule ------------------------------------------------------------------------------

    private static List<CampaignFault> faultKinds(String property) {
        if (property == null || property.isBlank()) {
            return List.of(CampaignFault.values());
        }
        List<CampaignFault> kinds = new ArrayList<>();
        for (String s : property.split(",")) {
            kinds.add(CampaignFault.valueOf(s.trim()));
        }
        return kinds;
    }

    /** Seeded shuffles of the fault kinds, one after the other: every kind comes once per cycle. */
    private static List<CampaignFault> schedule(Random master, List<CampaignFault> kinds, int rounds) {
        List<CampaignFault> schedule = new ArrayList<>();
        while (schedule.size() < rounds) {
            List<CampaignFault> cycle = new ArrayList<>(kinds);
            Collections.shuffle(cycle, master);
            schedule.addAll(cycle);
        }
        return schedule.subList(0, rounds);
    }

    // ---- one round -----------------------------------------------------------------------------

    private void round(int r, int rounds, CampaignFault fault, Random rnd) throws Exception {
        List<NodeProcess> nodes = cluster.nodes();
        // Every choice is drawn first, so that the seed fixes them whatever happens in the round.
        int t = rnd.nextInt(nodes.size());
        int t2 = (t + 1 + rnd.nextInt(nodes.size() - 1)) % nodes.size();
        int k = 1 + rnd.nextInt(20);
        long faultDelay = 1000 + rnd.nextInt(2000);
        long pauseMillis = 1000 + rnd.nextInt(3001);
        long outageMillis = 300 + rnd.nextInt(1200);
        long[] clientSeeds = new long[CLIENTS];
        for (int c = 0; c < CLIENTS; c++) {
            clientSeeds[c] = rnd.nextLong();
        }
        long netMillis = 2000 + rnd.nextInt(2001);
        long flapMillis = 100 + rnd.nextInt(301);
        NodeProcess target = nodes.get(t);
        NodeProcess second = nodes.get(t2);
        String what = switch (fault) {
            case KILL_ONE -> "kill -9 of " + target.name + " " + faultDelay + " ms into the load";
            case KILL_TWO -> "kill -9 of " + target.name + " and " + second.name + " " + faultDelay + " ms into the load";
            case PAUSE -> "SIGSTOP of " + target.name + " for " + pauseMillis + " ms, " + faultDelay + " ms into the load";
            case NET_ISOLATE -> target.name + " cut off from both others for " + netMillis + " ms, " + faultDelay + " ms into the load";
            case NET_ONE_WAY -> "link " + target.name + "->" + second.name + " black-holed for " + netMillis + " ms (" + second.name + " still reaches "
                    + target.name + "), " + faultDelay + " ms into the load";
            case NET_BRIDGE -> target.name + " and " + second.name + " cut from each other for " + netMillis + " ms (both reach the third), "
                    + faultDelay + " ms into the load";
            case NET_FLAP -> "link " + target.name + "<->" + second.name + " cut and restored every " + flapMillis + " ms for " + netMillis + " ms, "
                    + faultDelay + " ms into the load";
            case NET_SLOW_LOSSY -> "every link delayed 50-500 ms and losing 5 % of chunks, " + target.name + "'s requests duplicated, for "
                    + netMillis + " ms, " + faultDelay + " ms into the load";
            default -> fault.description + " on " + target.name + " at hit " + k;
        };
        System.out.printf("[campaign] round %d/%d: %s%n", r, rounds, what);
        long roundStart = System.nanoTime();
        Round round = new Round(r, fault, what);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

        openAccounts(r, http);
        if (fault.isCrashPoint()) {
            Path script = cluster.dir.resolve("round-" + r + "-" + fault.name() + ".btm");
            List<URI> peers = mesh.peersOf(t); // the node's peer URLs: its links' proxies
            Files.writeString(script, fault.script(k, peers));
            target.stop();
            List<String> withAgent = new ArrayList<>(NodeProcess.TEST_JVM_OPTIONS);
            withAgent.add(CampaignFault.agentOption(script));
            target.jvmOptions(withAgent);
            target.launch();
            cluster.awaitAllReady(NodeProcess.START_TIMEOUT);
        }

        CampaignLoad load = new CampaignLoad(r, nodes, http, (long) r * CampaignLoad.ACCOUNTS * CampaignLoad.INITIAL_BALANCE);
        List<NodeProcess> dead = new ArrayList<>();
        long repairAt;
        long healedAt = 0;
        load.start(clientSeeds);
        try {
            Thread.sleep(faultDelay); // schedules the fault at a seeded time into the load
            switch (fault) {
                case KILL_ONE -> {
                    target.kill();
                    dead.add(target);
                    Thread.sleep(outageMillis); // the load goes on against the survivors for a seeded time
                }
                case KILL_TWO -> {
                    target.kill();
                    second.kill();
                    dead.add(target);
                    dead.add(second);
                    Thread.sleep(outageMillis);
                }
                case PAUSE -> {
                    target.pause();
                    try {
                        Thread.sleep(pauseMillis);
                    } finally {
                        target.resume();
                    }
                }
                case NET_ISOLATE, NET_ONE_WAY, NET_BRIDGE, NET_FLAP, NET_SLOW_LOSSY -> {
                    Runnable undo = network(fault, t, t2, flapMillis);
                    try {
                        Thread.sleep(netMillis); // the fault lasts a seeded time under the load
                    } finally {
                        undo.run();
                        mesh.heal();
                        healedAt = System.nanoTime();
                    }
                    round.notes.add("links healed after " + netMillis + " ms");
                    Thread.sleep(outageMillis); // the load goes on over the healed links
                }
                case STORE_WRITE_FAILS, STORE_SYNC_FAILS -> {
                    storeFailed(round, target, fault, k);
                    target.stop(); // what an operator does: restart the node once the disk works again
                    dead.add(target);
                    Thread.sleep(outageMillis);
                }
                default -> {
                    crash(round, target, fault, k);
                    dead.add(target);
                    Thread.sleep(outageMillis);
                }
            }
        } finally {
            repairAt = System.nanoTime();
            load.stop();
        }
        long loadMillis = (System.nanoTime() - roundStart) / 1_000_000;

        if (fault.isNetwork()) {
            repairAt = healedAt; // recovery counts from the heal
        } else if (fault != CampaignFault.PAUSE) {
            repairAt = System.nanoTime();
        }
        for (NodeProcess n : dead) {
            n.jvmOptions(NodeProcess.TEST_JVM_OPTIONS);
            n.launch();
        }
        round.recoveryMillis = awaitRecovered(round, repairAt);
        check(round, load, http);
        round.seconds = (System.nanoTime() - roundStart) / 1e9;
        System.out.println(round.report(loadMillis));
        totals.add(round);
    }

    /** Sets a network fault on the campaign's links; returns what stops it (the links are healed after it anyway). */
    private Runnable network(CampaignFault fault, int target, int second, long flapMillis) {
        switch (fault) {
            case NET_ISOLATE -> mesh.isolate(target);
            case NET_ONE_WAY -> mesh.link(target, second).mode(TcpProxy.Mode.BLACKHOLE);
            case NET_BRIDGE -> mesh.bothWays(target, second, TcpProxy.Mode.CUT);
            case NET_FLAP -> {
                return mesh.flap(target, second, flapMillis);
            }
            case NET_SLOW_LOSSY -> {
                mesh.everyLink(p -> {
                    p.delay(50, 450);
                    p.loss(0.05);
                });
                for (int other = 0; other < cluster.size(); other++) {
                    if (other != target) {
                        mesh.link(target, other).duplicate(true);
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a network fault: " + fault);
        }
        return () -> {
        };
    }

    /** Waits for the crash point to halt {@code node}; a crash point not reached is recorded, and the node killed. */
    private void crash(Round round, NodeProcess node, CampaignFault fault, int k) throws InterruptedException, IOException {
        int exit;
        try {
            exit = node.awaitExit(CRASH_TIMEOUT);
        } catch (IllegalStateException e) {
            node.kill();
            totals.crashMissed.add("round " + round.number + ": " + fault + " at hit " + k + " on " + node.name
                    + " not reached within " + CRASH_TIMEOUT + "; log tail:\n" + node.logTail(40));
            round.notes.add("crash point NOT reached; node killed instead");
            return;
        }
        String log = node.logText();
        String lastRun = log.substring(Math.max(0, log.lastIndexOf("=== ")));
        if (exit != 137 || !lastRun.contains(CampaignFault.CRASH_MARK + " " + fault.name())) {
            totals.crashMissed.add("round " + round.number + ": " + node.name + " exited with " + exit
                    + " without the crash point's mark; log tail:\n" + node.logTail(40));
            round.notes.add("node exited with " + exit + " without the crash point's mark");
        } else {
            round.notes.add("crash point reached (" + node.name + " halted with 137)");
        }
    }

    /** Waits until {@code node} reports its store failed (readiness DOWN with the injected error); records a miss. */
    private void storeFailed(Round round, NodeProcess node, CampaignFault fault, int k) {
        try {
            Awaitility.await("store failure on " + node.name).atMost(CRASH_TIMEOUT).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        JsonNode check = DemoClient.level2pcCheck(DemoClient.writesHealth(node));
                        return "DOWN".equals(check.path("status").asText())
                                && check.path("data").path("reason").asText().contains("injected by the fault campaign");
                    });
            round.notes.add(fault + " on " + node.name + "; its writes health DOWN naming it; node restarted");
        } catch (ConditionTimeoutException e) {
            totals.crashMissed.add("round " + round.number + ": " + fault + " at hit " + (k + 3) + " on " + node.name
                    + " not reported within " + CRASH_TIMEOUT + "; log tail:\n" + node.logTail(40));
            round.notes.add("store failure NOT reported");
        }
    }

    private void openAccounts(int r, HttpClient http) {
        for (int i = 0; i < CampaignLoad.ACCOUNTS; i++) {
            String id = CampaignLoad.account(r, i);
            NodeProcess n = cluster.node(i % cluster.size());
            Awaitility.await("account " + id + " opened").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> DemoClient.send(http, n.uri("/bank/accounts/" + id), "PUT",
                            ("{\"balance\":" + CampaignLoad.INITIAL_BALANCE + "}").getBytes(StandardCharsets.UTF_8), "application/json",
                            Map.of(), CampaignLoad.REQUEST_TIMEOUT).status() == 204);
        }
    }

    // ---- recovery ------------------------------------------------------------------------------

    /** What a node says about itself: ready, and how many branches it holds in doubt (-1: unknown). */
    private record NodeState(boolean ready, int inDoubt, String detail) {
    }

    private NodeState state(NodeProcess n) {
        try {
            Reply ready = DemoClient.send(n.uri(DemoClient.WRITES_HEALTH), "GET", null, null, Map.of(), Duration.ofSeconds(5));
            JsonNode check = DemoClient.level2pcCheck(ready);
            int inDoubt = check.path("data").path("in-doubt").asInt(-1);
            String detail = "in-doubt " + inDoubt + " (health)";
            if (!Boolean.FALSE.equals(adminInDoubt.get())) {
                Reply admin = DemoClient.send(n.uri("/level-2pc/admin/in-doubt"), "GET", null, null,
                        Map.of("Authorization", "Bearer " + cluster.secret), Duration.ofSeconds(5));
                if (admin.status() == 404 && adminInDoubt.get() == null) {
                    adminInDoubt.set(false);
                    System.out.println("[campaign] GET /level-2pc/admin/in-doubt answers 404: in-doubt counts come from the health check");
                } else if (admin.status() == 200) {
                    if (adminInDoubt.get() == null) {
                        System.out.println("[campaign] in-doubt branches come from GET /level-2pc/admin/in-doubt");
                    }
                    adminInDoubt.set(true);
                    JsonNode list = admin.json().path("inDoubt");
                    inDoubt = list.size();
                    detail = "in-doubt " + list;
                } else {
                    inDoubt = -1;
                    detail = "admin in-doubt answered " + admin;
                }
            }
            return new NodeState(ready.status() == 200, inDoubt, check.path("status").asText() + ", " + detail);
        } catch (IOException | RuntimeException e) {
            return new NodeState(false, -1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new NodeState(false, -1, e.toString());
        }
    }

    /**
     * Waits until every node is ready and holds nothing in doubt; returns the milliseconds since
     * {@code repairAt}. Branches still in doubt after {@link #RECOVERY_TIMEOUT} are counted and the
     * campaign goes on (its keys are the round's own); a node that never turns ready ends it.
     */
    private long awaitRecovered(Round round, long repairAt) {
        try {
            Awaitility.await("round " + round.number + ": every node ready with nothing in doubt").atMost(RECOVERY_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        for (NodeProcess n : cluster.nodes()) {
                            n.checkNotExited();
                            NodeState s = state(n);
                            if (!s.ready() || s.inDoubt() != 0) {
                                return false;
                            }
                        }
                        return true;
                    });
            return (System.nanoTime() - repairAt) / 1_000_000;
        } catch (ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder();
            int left = 0;
            boolean allReady = true;
            for (NodeProcess n : cluster.nodes()) {
                NodeState s = state(n);
                b.append("\n  ").append(n.name).append(": ").append(s.ready() ? "ready" : "NOT ready").append(", ").append(s.detail());
                left += Math.max(0, s.inDoubt());
                allReady &= s.ready();
            }
            round.inDoubtLeft = left;
            round.notes.add("NOT recovered within " + RECOVERY_TIMEOUT + ":" + b);
            if (!allReady) {
                throw new IllegalStateException("round " + round.number + ": the cluster did not recover within " + RECOVERY_TIMEOUT + b
                        + cluster.logTails(60));
            }
            return (System.nanoTime() - repairAt) / 1_000_000;
        }
    }

    // ---- checks --------------------------------------------------------------------------------

    private void check(Round round, CampaignLoad load, HttpClient http) throws Exception {
        int r = round.number;
        List<Op> ops = new ArrayList<>(load.ops);
        for (Op op : ops) {
            if (op.kind().write) {
                round.attempted++;
                switch (op.outcome()) {
                    case OK -> round.acked++;
                    case FAILED -> round.failed++;
                    case UNKNOWN -> round.unknown++;
                }
                if (op.kind() == Kind.PAIR_BATCH) {
                    attemptedKeys.add(op.key() + "x");
                    attemptedKeys.add(op.key() + "y");
                } else if (op.kind() != Kind.TRANSFER) {
                    attemptedKeys.add(op.key());
                }
            } else {
                round.reads++;
            }
        }
        round.readsFailed = load.readsFailed.get();
        round.answers = new TreeMap<>();
        load.answers.forEach((a, n) -> round.answers.put(a, n.get()));
        for (String u : load.unexpected()) {
            totals.unexpected.add("round " + r + ": " + u);
        }
        for (String h : load.halfSeen) {
            round.half++;
            round.problem("half-applied state seen during the load: " + h);
        }

        // 1. Every node's full scan (all rounds), byte for byte; the accounts of this round on every node.
        Map<String, Map<String, String>> scans = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        for (NodeProcess n : cluster.nodes()) {
            // paged: one GET /kv answers at most 1,000 entries, and a long round writes thousands
            LinkedHashMap<String, String> all = DemoClient.scanAll(http, n, null, CampaignLoad.REQUEST_TIMEOUT);
            scans.put(n.name, all);
            digests.put(n.name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(DemoClient.JSON.writeValueAsBytes(all))).substring(0, 16) + " (" + all.size() + " keys)");
        }
        Map<String, Map<String, Long>> balances = new LinkedHashMap<>();
        for (NodeProcess n : cluster.nodes()) {
            Map<String, Long> b = new LinkedHashMap<>();
            for (int i = 0; i < CampaignLoad.ACCOUNTS; i++) {
                String id = CampaignLoad.account(r, i);
                Reply a = DemoClient.send(http, n.uri("/bank/accounts/" + id), "GET", null, null, Map.of(), CampaignLoad.REQUEST_TIMEOUT);
                if (a.status() == 200) {
                    b.put(id, a.json().path("balance").asLong());
                } else if (a.status() == 404) {
                    b.put(id, null);
                } else {
                    throw new IllegalStateException("round " + r + ": GET /bank/accounts/" + id + " on " + n.name + " answered " + a);
                }
            }
            balances.put(n.name, b);
        }
        round.digest = digests.toString();
        checkConvergence(round, scans, balances);

        // 2. Nothing in the store that was never attempted (any round).
        for (Map.Entry<String, Map<String, String>> scan : scans.entrySet()) {
            for (String key : scan.getValue().keySet()) {
                if (!attemptedKeys.contains(key) && totals.phantomKeys.add(key)) {
                    round.phantom++;
                    round.problem("key " + key + " on " + scan.getKey() + " was never written by the campaign: " + scan.getValue().get(key));
                }
            }
        }

        // 3. Registers, pairs, set members, accounts: lost, phantom, half-applied.
        for (int i = 0; i < CampaignLoad.REGISTERS; i++) {
            String key = CampaignLoad.register(r, i);
            checkRegister(round, key, writesOf(ops, Kind.REGISTER_WRITE, key), finals(scans, key));
        }
        for (int i = 0; i < CampaignLoad.PAIRS; i++) {
            String p = CampaignLoad.pair(r, i);
            Map<String, String> xs = finals(scans, p + "x");
            Map<String, String> ys = finals(scans, p + "y");
            if (!xs.equals(ys)) {
                round.half++;
                round.problem("pair " + p + "* half-applied: x " + xs + ", y " + ys);
            }
            checkRegister(round, p + "x/y", writesOf(ops, Kind.PAIR_BATCH, p), xs);
        }
        checkSet(round, ops, scans);
        checkBank(round, ops, balances);

        // 4. Linearizability of every single-key history, with a final read of the key on every node.
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < CampaignLoad.REGISTERS; i++) {
            keys.add(CampaignLoad.register(r, i));
        }
        for (int i = 0; i < CampaignLoad.PAIRS; i++) {
            keys.add(CampaignLoad.pair(r, i) + "x");
            keys.add(CampaignLoad.pair(r, i) + "y");
        }
        for (String key : keys) {
            List<Operation> history = history(ops, key);
            for (NodeProcess n : cluster.nodes()) {
                Reply g = DemoClient.send(http, n.uri("/kv/" + key), "GET", null, null, Map.of(), CampaignLoad.REQUEST_TIMEOUT);
                if (g.status() == 200 || g.status() == 404) {
                    history.add(Operation.read(g.status() == 200 ? g.body() : null, g.invokedNanos(), g.returnedNanos()));
                } else {
                    round.problem("final read of " + key + " on " + n.name + " answered " + g);
                    round.finalReadsFailed++;
                }
            }
            RegisterLinearizability.Result result = checkLinearizable(history);
            round.states += result.statesExplored();
            round.historyOps += history.size();
            if (!result.linearizable()) {
                round.nonLinearizable++;
                Path dump = dumpHistory(r, key, history);
                round.problem("history of " + key + " is NOT linearizable: " + result.explanation() + "; history in " + dump);
            }
        }

        // 5. Not asserted, reported: transactions left in each coordinator's Narayana log once every branch is done.
        Map<String, Integer> logEntries = new TreeMap<>();
        for (NodeProcess n : cluster.nodes()) {
            logEntries.put(n.name, narayanaLogEntries(n));
        }
        round.narayanaLogEntries = logEntries.values().stream().mapToInt(Integer::intValue).sum();
        round.notes.add("transactions in the coordinators' Narayana logs after recovery (not asserted): " + logEntries);

        // 6. Heuristic outcomes reported by Narayana or the extension. The reports of a one-phase outcome the extension
        // said is unknown (a coordinator's failed decision write or sync) are counted apart: no node decided on its own,
        // and the checks above judge its data; Narayana repeats them at every recovery pass, in later rounds too.
        for (NodeProcess n : cluster.nodes()) {
            List<HeuristicReports.Line> lines = HeuristicReports.of(n.logText());
            int before = heuristicLinesSeen.getOrDefault(n.name, 0);
            for (HeuristicReports.Line l : lines.subList(before, lines.size())) {
                if (l.unknownReported()) {
                    round.unknownReported++;
                } else {
                    round.heuristic++;
                    round.problem("heuristic in " + n.name + "'s log: " + l.text());
                }
            }
            heuristicLinesSeen.put(n.name, lines.size());
        }
        if (round.unknownReported > 0) {
            round.notes.add(round.unknownReported + " log line(s) report a one-phase commit of unknown outcome (a decision"
                    + " write or sync failed) to Narayana as a heuristic hazard: not a heuristic decision, judged by the data checks");
        }
    }

    /** The transaction records in a node's Narayana object store ({@code <path>/narayana/.../AtomicAction/*}). */
    private static int narayanaLogEntries(NodeProcess n) throws IOException {
        Path store = n.dataDir.resolve("narayana");
        if (!Files.exists(store)) {
            return 0;
        }
        try (var walk = Files.walk(store)) {
            return (int) walk.filter(Files::isRegularFile)
                    .filter(f -> f.getParent() != null && f.getParent().getFileName().toString().equals("AtomicAction")).count();
        }
    }

    private static List<Op> writesOf(List<Op> ops, Kind kind, String key) {
        return ops.stream().filter(o -> o.kind() == kind && o.key().equals(key)).toList();
    }

    private Map<String, String> finals(Map<String, Map<String, String>> scans, String key) {
        Map<String, String> m = new TreeMap<>();
        scans.forEach((node, scan) -> m.put(node, scan.get(key)));
        return m;
    }

    /**
     * One register (or pair): on each node the final value must be that of a write that may have taken
     * effect, and not of a write that returned before an acknowledged write was invoked (that one must
     * come later in any order); absent only if no write was acknowledged.
     */
    private void checkRegister(Round round, String key, List<Op> writes, Map<String, String> finalByNode) {
        Map<String, Op> possible = new HashMap<>();
        Set<String> failed = new HashSet<>();
        for (Op w : writes) {
            if (w.outcome() == Outcome.FAILED) {
                failed.add(w.value());
            } else {
                possible.put(w.value(), w);
            }
        }
        List<Op> acked = writes.stream().filter(w -> w.outcome() == Outcome.OK).toList();
        int lost = 0;
        boolean phantom = false;
        for (Map.Entry<String, String> f : finalByNode.entrySet()) {
            String v = f.getValue();
            if (v == null) {
                if (!acked.isEmpty()) {
                    lost = Math.max(lost, acked.size());
                    round.problem(key + " is absent on " + f.getKey() + " though " + acked.size() + " write(s) were acknowledged, e.g. "
                            + acked.get(acked.size() - 1));
                }
                continue;
            }
            Op w = possible.get(v);
            if (w == null) {
                phantom = true;
                round.problem(key + " on " + f.getKey() + " holds '" + v + "', " + (failed.contains(v)
                        ? "the value of a write that definitely failed" : "a value never written"));
                continue;
            }
            List<Op> overwritten = acked.stream().filter(y -> w.ret() < y.call()).toList();
            if (!overwritten.isEmpty()) {
                lost = Math.max(lost, overwritten.size());
                round.problem(key + " on " + f.getKey() + " holds '" + v + "', whose write returned before these acknowledged writes "
                        + "were invoked: " + overwritten);
            }
        }
        round.lost += lost;
        round.phantom += phantom ? 1 : 0;
    }

    /** Set members: acknowledged ones present everywhere with their value, failed ones nowhere, nothing else. */
    private void checkSet(Round round, List<Op> ops, Map<String, Map<String, String>> scans) {
        String prefix = CampaignLoad.setPrefix(round.number);
        Map<String, Op> adds = new HashMap<>();
        for (Op o : ops) {
            if (o.kind() == Kind.SET_ADD) {
                adds.put(o.key(), o);
            }
        }
        Set<String> lost = new TreeSet<>();
        Set<String> phantom = new TreeSet<>();
        for (Map.Entry<String, Map<String, String>> scan : scans.entrySet()) {
            for (Map.Entry<String, String> e : scan.getValue().entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    continue;
                }
                Op add = adds.get(e.getKey());
                if (add == null || add.outcome() == Outcome.FAILED || !add.value().equals(e.getValue())) {
                    phantom.add(e.getKey());
                    round.problem("set member " + e.getKey() + "=" + e.getValue() + " on " + scan.getKey() + ": "
                            + (add == null ? "never added" : "added as " + add));
                }
            }
            for (Op add : adds.values()) {
                if (add.outcome() == Outcome.OK && !add.value().equals(scan.getValue().get(add.key()))) {
                    lost.add(add.key());
                    round.problem("acknowledged set add " + add + " is missing on " + scan.getKey());
                }
            }
        }
        round.lost += lost.size();
        round.phantom += phantom.size();
    }

    /**
     * Accounts: the sum never changes (else a transfer was half-applied), and on each node the final
     * balances are the initial ones plus every acknowledged transfer plus some subset of the transfers
     * of unknown outcome (never a failed one).
     */
    private void checkBank(Round round, List<Op> ops, Map<String, Map<String, Long>> balances) {
        int r = round.number;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < CampaignLoad.ACCOUNTS; i++) {
            ids.add(CampaignLoad.account(r, i));
        }
        long[] acked = new long[ids.size()];
        List<long[]> unknown = new ArrayList<>();
        for (Op o : ops) {
            if (o.kind() != Kind.TRANSFER || o.outcome() == Outcome.FAILED) {
                continue;
            }
            long[] d = new long[ids.size()];
            d[ids.indexOf(o.key())] -= o.amount();
            d[ids.indexOf(o.key2())] += o.amount();
            if (o.outcome() == Outcome.OK) {
                for (int i = 0; i < d.length; i++) {
                    acked[i] += d[i];
                }
            } else {
                unknown.add(d);
            }
        }
        boolean unexplained = false;
        boolean half = false;
        for (Map.Entry<String, Map<String, Long>> node : balances.entrySet()) {
            long[] need = new long[ids.size()];
            long total = 0;
            for (int i = 0; i < ids.size(); i++) {
                Long b = node.getValue().get(ids.get(i));
                if (b == null) {
                    round.problem("account " + ids.get(i) + " is missing on " + node.getKey());
                    unexplained = true;
                    b = 0L;
                }
                total += b;
                need[i] = b - CampaignLoad.INITIAL_BALANCE - acked[i];
            }
            if (total != CampaignLoad.ACCOUNTS * CampaignLoad.INITIAL_BALANCE) {
                half = true;
                round.problem("bank total of round " + r + " on " + node.getKey() + " is " + total + ": " + node.getValue());
            }
            if (!explainedBy(need, unknown)) {
                unexplained = true;
                round.problem("balances on " + node.getKey() + " " + node.getValue() + " are not the initial ones plus the acknowledged "
                        + "transfers plus a subset of the " + unknown.size() + " of unknown outcome");
            }
        }
        round.half += half ? 1 : 0;
        round.bank += unexplained ? 1 : 0;
        round.notes.add("bank: " + unknown.size() + " transfer(s) of unknown outcome");
    }

    /** Whether some subset of {@code candidates} sums to {@code need} (exactly, up to 20; else per account). */
    static boolean explainedBy(long[] need, List<long[]> candidates) {
        int n = candidates.size();
        if (n <= 20) {
            for (int mask = 0; mask < (1 << n); mask++) {
                long[] sum = new long[need.length];
                for (int j = 0; j < n; j++) {
                    if ((mask & (1 << j)) != 0) {
                        for (int i = 0; i < need.length; i++) {
                            sum[i] += candidates.get(j)[i];
                        }
                    }
                }
                if (Arrays.equals(sum, need)) {
                    return true;
                }
            }
            return false;
        }
        // Too many for an exact search: each account on its own (a necessary condition).
        for (int i = 0; i < need.length; i++) {
            Set<Long> reachable = new HashSet<>(Set.of(0L));
            for (long[] c : candidates) {
                Set<Long> next = new HashSet<>(reachable);
                for (long s : reachable) {
                    next.add(s + c[i]);
                }
                reachable = next;
            }
            if (!reachable.contains(need[i])) {
                return false;
            }
        }
        return true;
    }

    /** Every node holds the same data: the full scans byte for byte, and this round's accounts. */
    private void checkConvergence(Round round, Map<String, Map<String, String>> scans, Map<String, Map<String, Long>> balances)
            throws IOException {
        Set<String> keys = new TreeSet<>();
        scans.values().forEach(s -> keys.addAll(s.keySet()));
        List<String> diff = new ArrayList<>();
        for (String key : keys) {
            Set<String> values = new HashSet<>();
            scans.values().forEach(s -> values.add(String.valueOf(s.get(key))));
            if (values.size() > 1) {
                StringBuilder b = new StringBuilder(key).append(':');
                scans.forEach((node, s) -> b.append(' ').append(node).append('=').append(s.get(key)));
                diff.add(b.toString());
            }
        }
        Set<String> accountValues = new HashSet<>();
        balances.values().forEach(b -> accountValues.add(b.toString()));
        if (accountValues.size() > 1) {
            diff.add("accounts of round " + round.number + ": " + balances.toString().replace(':', '='));
        }
        if (!diff.isEmpty()) {
            int known = 0;
            for (String d : diff) {
                if (totals.divergentKeys.add(d.substring(0, d.indexOf(':')))) {
                    round.divergent++;
                } else {
                    known++;
                }
            }
            if (known > 0) {
                round.notes.add(known + " key(s) still differ since an earlier round (counted there)");
            }
            for (Map.Entry<String, Map<String, String>> s : scans.entrySet()) {
                Files.writeString(cluster.dir.resolve("round-" + round.number + "-scan-" + s.getKey() + ".json"),
                        DemoClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s.getValue()));
            }
            round.problem(diff.size() + " key(s) differ between nodes (dumps in " + cluster.dir + "/round-" + round.number
                    + "-scan-*.json):\n    " + String.join("\n    ", diff.subList(0, Math.min(40, diff.size()))));
        }
    }

    /** The key's operations: writes that may have taken effect and successful reads (final reads are added by the caller). */
    private static List<Operation> history(List<Op> ops, String key) {
        List<Operation> h = new ArrayList<>();
        for (Op o : ops) {
            boolean writesKey = (o.kind() == Kind.REGISTER_WRITE && o.key().equals(key))
                    || (o.kind() == Kind.PAIR_BATCH && (key.equals(o.key() + "x") || key.equals(o.key() + "y")));
            if (writesKey && o.outcome() != Outcome.FAILED) {
                h.add(new Operation(true, o.value(), o.call(), o.ret(), "write(" + o.value() + ") on " + o.node()
                        + (o.outcome() == Outcome.UNKNOWN ? " [" + o.answer() + "]" : "")));
            } else if (o.kind() == Kind.READ && o.key().equals(key)) {
                h.add(new Operation(false, o.value(), o.call(), o.ret(), "read=" + o.value() + " on " + o.node()));
            }
        }
        return h;
    }

    /** The WGL search is recursive (one frame per operation): it runs on a thread with a large stack. */
    private static RegisterLinearizability.Result checkLinearizable(List<Operation> history) throws InterruptedException {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(RegisterLinearizability.check(null, history));
            } catch (RuntimeException | Error e) {
                result.set(e);
            }
        }, "linearizability-check", 512L * 1024 * 1024);
        t.start();
        t.join();
        if (result.get() instanceof RegisterLinearizability.Result res) {
            return res;
        }
        throw new IllegalStateException("linearizability check failed to run", (Throwable) result.get());
    }

    private Path dumpHistory(int r, String key, List<Operation> ops) throws IOException {
        long origin = ops.stream().mapToLong(Operation::call).min().orElse(0);
        Path file = cluster.dir.resolve("history-round-" + r + "-" + key + ".txt");
        StringBuilder b = new StringBuilder("# op value call_us return_us label (relative to the first invocation)\n");
        ops.stream().sorted(java.util.Comparator.comparingLong(Operation::call)).forEach(o -> b.append(o.write() ? "W " : "R ")
                .append(o.value()).append(' ').append((o.call() - origin) / 1000).append(' ')
                .append(o.ret() == RegisterLinearizability.UNKNOWN ? "?" : Long.toString((o.ret() - origin) / 1000)).append(' ')
                .append(o.label()).append('\n'));
        Files.writeString(file, b);
        return file;
    }

    // ---- bookkeeping ---------------------------------------------------------------------------

    private static final class Round {
        final int number;
        final CampaignFault fault;
        final String what;
        final List<String> notes = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        Map<String, Integer> answers = Map.of();
        long attempted, acked, failed, unknown, reads, readsFailed, finalReadsFailed;
        long lost, phantom, half, bank, divergent, inDoubtLeft, heuristic, nonLinearizable, unknownReported;
        long recoveryMillis, states, historyOps, narayanaLogEntries;
        double seconds;
        String digest = "";

        Round(int number, CampaignFault fault, String what) {
            this.number = number;
            this.fault = fault;
            this.what = what;
        }

        void problem(String p) {
            problems.add(p);
        }

        String report(long loadMillis) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("[campaign] round %d (%s): %s%n", number, fault, what));
            b.append(String.format("[campaign]   writes attempted=%d acked=%d failed=%d unknown=%d; reads=%d (+%d failed)"
                    + "; load+fault %d ms; recovery %d ms; round %.1f s%n", attempted, acked, failed, unknown, reads, readsFailed,
                    loadMillis, recoveryMillis, seconds));
            b.append(String.format("[campaign]   lost=%d phantom=%d half=%d bank=%d divergent=%d inDoubtLeft=%d heuristic=%d"
                    + " nonLinearizable=%d (%d history ops, %d states) digests %s%n", lost, phantom, half, bank, divergent,
                    inDoubtLeft, heuristic, nonLinearizable, historyOps, states, digest));
            b.append("[campaign]   answers ").append(answers).append('\n');
            for (String n : notes) {
                b.append("[campaign]   note: ").append(n).append('\n');
            }
            for (String p : problems.subList(0, Math.min(60, problems.size()))) {
                b.append("[campaign]   PROBLEM: ").append(p).append('\n');
            }
            if (problems.size() > 60) {
                b.append("[campaign]   ... and ").append(problems.size() - 60).append(" more problems\n");
            }
            return b.toString().stripTrailing();
        }
    }

    private static final class Totals {
        int rounds;
        long attempted, acked, failed, unknown, lost, phantom, half, bank, divergent, inDoubtLeft, heuristic, nonLinearizable;
        long narayanaLogEntries, unknownReported;
        final List<Long> recovery = new ArrayList<>();
        final List<String> crashMissed = new ArrayList<>();
        final List<String> unexpected = new ArrayList<>();
        final List<String> failingRounds = new ArrayList<>();
        final Set<String> divergentKeys = new HashSet<>();
        final Set<String> phantomKeys = new HashSet<>();
        final Map<CampaignFault, Integer> faults = new TreeMap<>();
        /** Per fault kind: rounds, writes attempted, acknowledged, failed, unknown, reads, anomalies, max recovery ms. */
        final Map<CampaignFault, long[]> byKind = new TreeMap<>();

        void add(Round r) {
            rounds++;
            attempted += r.attempted;
            acked += r.acked;
            failed += r.failed;
            unknown += r.unknown;
            lost += r.lost;
            phantom += r.phantom;
            half += r.half;
            bank += r.bank;
            divergent += r.divergent;
            inDoubtLeft += r.inDoubtLeft;
            heuristic += r.heuristic;
            unknownReported += r.unknownReported;
            nonLinearizable += r.nonLinearizable;
            narayanaLogEntries = r.narayanaLogEntries;
            recovery.add(r.recoveryMillis);
            faults.merge(r.fault, 1, Integer::sum);
            long[] k = byKind.computeIfAbsent(r.fault, f -> new long[8]);
            k[0]++;
            k[1] += r.attempted;
            k[2] += r.acked;
            k[3] += r.failed;
            k[4] += r.unknown;
            k[5] += r.reads;
            k[6] += r.lost + r.phantom + r.half + r.bank + r.divergent + r.inDoubtLeft + r.heuristic + r.nonLinearizable;
            k[7] = Math.max(k[7], r.recoveryMillis);
            if (!r.problems.isEmpty()) {
                failingRounds.add(r.number + " (" + r.fault + ")");
            }
        }

        /** One line per fault kind, for the guarantees page's table. */
        String byKindTable() {
            StringBuilder b = new StringBuilder("[campaign] by fault kind: rounds | writes attempted / acked / failed / unknown | reads"
                    + " | anomalies (lost+phantom+half+bank+divergent+in doubt+heuristic+non-linearizable) | max recovery ms\n");
            byKind.forEach((f, k) -> b.append(String.format("[campaign]   %-34s %d | %d / %d / %d / %d | %d | %d | %d%n", f, k[0], k[1], k[2],
                    k[3], k[4], k[5], k[6], k[7])));
            return b.toString();
        }

        String summary(long seed, int rounds, long millis) {
            List<Long> sorted = new ArrayList<>(recovery);
            Collections.sort(sorted);
            long median = sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
            long max = sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1);
            return byKindTable() + String.format("[campaign] faults run: %s; rounds with problems: %s; crash points missed: %d; unexpected answers: %s; %.0f s%n"
                    + "[campaign] transactions left in the coordinators' Narayana logs after the last round (not asserted): %d%n"
                    + "[campaign] log lines reporting one-phase commits of unknown outcome as heuristic hazards (not anomalies): %d%n"
                    + "campaign seed=%d rounds=%d attempted=%d acked=%d failed=%d unknown=%d lost=%d phantom=%d half=%d bank=%d"
                    + " divergent=%d inDoubtLeft=%d heuristic=%d recovery median=%dms max=%dms nonLinearizable=%d",
                    faults, failingRounds, crashMissed.size(), unexpected, millis / 1000.0, narayanaLogEntries, unknownReported, seed, rounds, attempted, acked, failed, unknown,
                    lost, phantom, half, bank, divergent, inDoubtLeft, heuristic, median, max, nonLinearizable);
        }
    }
}
