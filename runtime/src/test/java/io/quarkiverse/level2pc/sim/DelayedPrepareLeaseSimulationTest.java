package io.quarkiverse.level2pc.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * Quorum mode, the delayed-prepare sequence of the quorum page's limits, scripted: {@code a} prepares {@code T}
 * without {@code c} while {@code c}'s lease rests on {@code b}; the network changes so that {@code c} reaches
 * {@code a} but not {@code b}; {@code T}'s prepare reaches {@code b} only after {@code b}'s promise to {@code c}
 * ran out, and {@code T} commits on {@code a} and {@code b}. The coordinator-side bound is out of the way: the
 * prepares' call timeout (10 s) is far longer than {@code read-lease} (400 ms), as with a replacement transport
 * or a coordinator whose clock runs slow. The granting side must close it: {@code a}, answering {@code c}'s
 * lease-asking hello while it holds {@code T} in flight, says {@code c} is behind; {@code c} stops being current at
 * once and catches up from {@code a}, adopting {@code T}. Then a read of {@code T}'s key on {@code c}, after
 * {@code T} was acknowledged, answers the new value (or refuses), never the old one.
 */
class DelayedPrepareLeaseSimulationTest {

    /** Read lease of the simulated nodes (see {@code ClusterSimulation.settings}). */
    private static final long READ_LEASE_MILLIS = 400;
    private static final long PREPARE_HELD_MILLIS = 5_000;

    @BeforeAll
    static void quietLogs() {
        Logger.getLogger("io.quarkiverse.level2pc").setLevel(Level.OFF);
    }

    @Test
    void aPrepareHeldPastTheReadLeaseAcrossAPartitionFlipLeavesNoStaleReadOnTheNodeLeftOut() {
        ClusterSimulation sim = new ClusterSimulation(new ClusterSimulation.Scenario(7, true, ClusterSimulation.Fault.NONE, false));
        sim.startAll();
        SimNode a = sim.node("a");
        SimNode b = sim.node("b");
        SimNode c = sim.node("c");
        SimNetwork net = sim.network();
        CompletableFuture<Void> old = sim.put(a, "k0", "old");
        runUntil(sim, old::isDone, 3_000);
        assertThat(old.isCompletedExceptionally()).as("the old value commits everywhere").isFalse();

        // c's lease rests on b alone: a and c cannot talk until a's promise to c ran out and a counts c out.
        net.cut(a, c);
        net.cut(c, a);
        runUntil(sim, () -> !a.node().monitor().usablePeers().containsKey(c.address)
                && a.node().quorum().lease().promisedOutside(List.of("a", "b")).isEmpty(), 5_000);
        assertThat(a.node().monitor().usablePeers()).as("a counts c out").doesNotContainKey(c.address);
        assertThat(c.node().quorum().lease().readable()).as("c, on b's grants, reads").isTrue();

        // A transport whose prepares wait far longer than read-lease; T's prepare to b is held on the network. As soon
        // as a sent it (T is prepared on a, without c), the network flips: c reaches a again.
        net.timeout(PeerProtocol.PREPARE, 10_000);
        net.timeout(PeerProtocol.BATCH, 10_000);
        boolean[] held = { false };
        net.delay((from, to, request) -> {
            if (!held[0] && from == a && to == b
                    && (PeerProtocol.PREPARE.equals(request.operation()) || PeerProtocol.BATCH.equals(request.operation()))) {
                held[0] = true;
                sim.runSoon(() -> {
                    net.uncut(a, c);
                    net.uncut(c, a);
                });
                return PREPARE_HELD_MILLIS;
            }
            return 0;
        });
        CompletableFuture<Void> t = sim.put(a, "k0", "new");
        sim.runFor(10);
        assertThat(held[0]).as("T's prepare to b is held back").isTrue();
        // ...and once a granted c a lease (telling it, with the fix, that it is behind: c catches up from a and adopts
        // T), c cannot reach b any more: c's lease rests on a alone.
        runUntil(sim, () -> c.node().quorum().lease().grantors().contains("a"), 3_000);
        assertThat(c.node().quorum().lease().grantors()).as("a grants c a lease again").contains("a");
        runUntil(sim, () -> c.node().quorum().lease().readable() && !adopted(c).isEmpty(), 1_500);
        List<String> adopted = adopted(c);
        net.cut(b, c);
        net.cut(c, b);
        // While T is in flight, a must not keep telling c it is behind for T, which c adopted: c stays current.
        long epoch = c.node().quorum().lease().epoch();
        boolean stayedCurrent = true;
        for (int i = 0; i < 100; i++) {
            sim.runFor(10);
            stayedCurrent &= c.node().quorum().lease().isCurrent();
        }
        long lapses = c.node().quorum().lease().epoch() - epoch;
        assertThat(t).as("T is still in flight (its prepare is held)").isNotDone();
        runUntil(sim, t::isDone, 2 * PREPARE_HELD_MILLIS);

        assertThat(t).as("T commits on a and b, without c").isCompleted();
        assertThat(t.isCompletedExceptionally()).as("T commits: %s", t.isCompletedExceptionally() ? failure(t) : "")
                .isFalse();
        assertThat(b.node().catchUps().catchUpFor("c").hints()).as("b committed T without c").hasSize(1);

        CompletableFuture<String> read = sim.get(c, "k0");
        runUntil(sim, read::isDone, 3_000);
        assertThat(read).isDone();
        if (!read.isCompletedExceptionally()) {
            assertThat(read.join()).as("c's read of T's key after T was acknowledged (%s)", c.node().quorum().describe())
                    .isEqualTo("new");
        }
        assertThat(adopted).as("c adopted T from a's catch-up answer (a said c was behind)").containsExactly("a, b");
        assertThat(stayedCurrent).as("c stays current while the adopted T is in flight (%d lapse(s))", lapses).isTrue();
        assertThat(lapses).isZero();
        sim.runFor(3_000); // c resolves the adopted T with a: committed
        CompletableFuture<String> later = sim.get(c, "k0");
        runUntil(sim, later::isDone, 3_000);
        assertThat(later.isCompletedExceptionally()).as("a later read on c: %s", later.isCompletedExceptionally() ? failure(later)
                : "").isFalse();
        assertThat(later.join()).isEqualTo("new");

        ClusterSimulation.Outcome outcome = sim.finish();
        assertThat(outcome.violations()).as("%s", outcome.trace()).isEmpty();
        assertThat(READ_LEASE_MILLIS).isLessThan(PREPARE_HELD_MILLIS);
    }

    /** The participants of the branches {@code n} adopted while catching up (one entry per branch). */
    private static List<String> adopted(SimNode n) {
        return n.node().local().inDoubt().stream().filter(d -> !d.adoptedFrom().isEmpty())
                .map(d -> String.join(", ", d.adoptedFrom())).toList();
    }

    private static String failure(CompletableFuture<?> f) {
        try {
            f.join();
            return "";
        } catch (RuntimeException e) {
            return String.valueOf(Futures.unwrap(e));
        }
    }

    private static void runUntil(ClusterSimulation sim, java.util.function.BooleanSupplier done, long maxMillis) {
        for (long waited = 0; waited < maxMillis && !done.getAsBoolean(); waited += 10) {
            sim.runFor(10);
        }
    }
}
