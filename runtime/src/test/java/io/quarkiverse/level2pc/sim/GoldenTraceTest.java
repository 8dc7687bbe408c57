package io.quarkiverse.level2pc.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * Named scenarios, scripted step by step, whose whole trace (every message, crash and outcome, with its
 * virtual time) is compared with a committed golden file under {@code src/test/resources/sim/}: a change to
 * the protocol's course shows up as a diff to read, not only as a pass or a failure. After an intended change,
 * regenerate them with {@code -Dsim.golden.update=true} and review the diff.
 */
class GoldenTraceTest {

    static final Path GOLDEN = Path.of("src", "test", "resources", "sim");

    @BeforeAll
    static void quietLogs() {
        Logger.getLogger("io.quarkiverse.level2pc").setLevel(Level.OFF);
    }

    /**
     * The coordinator dies in the second phase between its two peers' commits: the first peer commits, the
     * second never receives its commit. Its branch stays prepared (keys locked) until the coordinator is back
     * and the second peer's in-doubt resolver asks it: the coordinator's decision is durable (it rode its own
     * commit), so the answer is "committed", and every node ends with the write.
     */
    @Test
    void coordinatorCrashBetweenTwoPeersCommits() throws IOException {
        ClusterSimulation sim = new ClusterSimulation(new ClusterSimulation.Scenario(1, false, ClusterSimulation.Fault.NONE, true));
        sim.startAll();
        SimNode a = sim.node("a");
        SimNode c = sim.node("c");
        sim.network().intercept((from, to, request) -> {
            if (from == a && PeerProtocol.COMMIT.equals(request.operation())) {
                if (to == c) {
                    return false; // never sent: the coordinator is gone
                }
                sim.runSoon(() -> sim.crashNow(a, false));
            }
            return true;
        });
        sim.put(a, "k0", "decided");
        sim.runFor(200);
        assertThat(a.isUp()).as("the coordinator crashed between the commits").isFalse();
        sim.network().intercept((from, to, request) -> true);
        sim.runFor(500); // c keeps its branch prepared: nobody can tell it the outcome
        sim.restart(a);
        assertGolden("coordinator-crash-between-peer-commits", sim.finish());
    }

    /**
     * Quorum mode, promises of different ends: {@code c}'s last heartbeats reach {@code b} but not {@code a},
     * so {@code b}'s promise to {@code c} (not to commit without it for its read lease) runs longer than
     * {@code a}'s own. Then {@code c} dies and a write arrives on {@code a}. {@code a} waits out its own
     * promise, prepares, and {@code b} refuses with "promised" and the time its promise still runs: that is
     * no conflict, {@code a} prepares again once that time has passed, and the write commits.
     */
    @Test
    void aWriteAfterANodeDiedWaitsOutTheLongestPromiseOfItsPeersAndCommits() throws IOException {
        ClusterSimulation sim = new ClusterSimulation(new ClusterSimulation.Scenario(2, true, ClusterSimulation.Fault.NONE, true));
        sim.startAll();
        SimNode a = sim.node("a");
        SimNode c = sim.node("c");
        sim.network().intercept((from, to, request) -> !(from == c && to == a && PeerProtocol.HELLO.equals(request.operation())));
        sim.runFor(800);
        sim.crashNow(c, false);
        sim.network().intercept((from, to, request) -> true);
        CompletableFuture<Void> write = sim.put(a, "k0", "after c died");
        sim.runFor(15_000);

        assertThat(write).as("committed, neither refused as a conflict nor out of time").isCompleted();
        assertThat(write.isCompletedExceptionally()).isFalse();
        ClusterSimulation.Outcome outcome = sim.finish();
        assertThat(outcome.trace()).as("b refused a prepare for its longer promise at least once")
                .anyMatch(l -> l.contains("a<-b") && l.contains(" 503 "));
        assertGolden("write-waits-out-the-longest-promise", outcome);
    }

    /**
     * Quorum mode: {@code a}'s prepare to {@code c} is held back on the network for 2 s, past the request
     * timeout and several read leases, while {@code c} is cut off from both peers and then let back in (a
     * partition change). {@code a} gives up on {@code c}, rolls the attempt back (the rollback overtakes the
     * prepare), and commits the write with {@code b} alone; {@code b} then overwrites the key. When the old
     * prepare finally reaches {@code c}, which has caught up meanwhile, it must change nothing: the replicas
     * end identical, with the newer value, and the history is linearizable.
     */
    @Test
    void aPrepareDelayedPastTheReadLeaseAcrossAPartitionChangeChangesNothingWhenItArrives() throws IOException {
        ClusterSimulation sim = new ClusterSimulation(new ClusterSimulation.Scenario(3, true, ClusterSimulation.Fault.NONE, true));
        sim.startAll();
        SimNode a = sim.node("a");
        SimNode b = sim.node("b");
        SimNode c = sim.node("c");
        boolean[] heldBack = { false };
        sim.network().delay((from, to, request) -> {
            if (!heldBack[0] && from == a && to == c && PeerProtocol.PREPARE.equals(request.operation())) {
                heldBack[0] = true;
                return 2_000;
            }
            return 0;
        });
        CompletableFuture<Void> first = sim.put(a, "k0", "first");
        sim.runFor(100);
        for (SimNode other : List.of(a, b)) {
            sim.network().cut(c, other);
            sim.network().cut(other, c);
        }
        sim.runFor(1_000);
        for (SimNode other : List.of(a, b)) {
            sim.network().uncut(c, other);
            sim.network().uncut(other, c);
        }
        CompletableFuture<Void> second = sim.put(b, "k0", "second");
        sim.runFor(3_000);

        assertThat(heldBack[0]).isTrue();
        assertThat(first).isCompleted();
        assertThat(first.isCompletedExceptionally()).as("the first write commits without c").isFalse();
        assertThat(second).isCompleted();
        assertThat(second.isCompletedExceptionally()).isFalse();
        ClusterSimulation.Outcome outcome = sim.finish();
        assertGolden("prepare-delayed-past-the-read-lease-across-a-partition-change", outcome);
    }

    private static void assertGolden(String name, ClusterSimulation.Outcome outcome) throws IOException {
        assertThat(outcome.violations()).isEmpty();
        Path file = GOLDEN.resolve(name + ".trace");
        List<String> actual = outcome.trace();
        if (Boolean.getBoolean("sim.golden.update") || !Files.exists(file)) {
            Files.write(file, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).as("trace of %s (regenerate with -Dsim.golden.update=true after an intended change)", name)
                .containsExactlyElementsOf(Files.readAllLines(file, StandardCharsets.UTF_8));
    }
}
