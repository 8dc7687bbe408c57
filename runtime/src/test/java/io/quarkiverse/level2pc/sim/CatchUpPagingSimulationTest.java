package io.quarkiverse.level2pc.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * Quorum mode, a node away for many commits with a tiny catch-up page budget (1 byte: one hint per answer): the
 * whole cluster in memory (real node, codec and transport code). The returning node asks its grantors page after
 * page, each answer saying {@code more} until the last, tells them after each page that it applied its hints, and
 * turns current only once no answer says more: then it holds every key it missed, and the replicas converge.
 */
class CatchUpPagingSimulationTest {

    private static final int MISSED = 12;

    @BeforeAll
    static void quietLogs() {
        Logger.getLogger("io.quarkiverse.level2pc").setLevel(Level.OFF);
    }

    @Test
    void aNodeThatMissedManyCommitsCatchesUpPageByPageAndEndsCurrentWithEveryKey() {
        ClusterSimulation sim = new ClusterSimulation(new ClusterSimulation.Scenario(11, true, ClusterSimulation.Fault.NONE, false));
        sim.catchUpPageBytes(1);
        sim.startAll();
        SimNode a = sim.node("a");
        SimNode b = sim.node("b");
        SimNode c = sim.node("c");
        for (SimNode other : List.of(a, b)) {
            sim.network().cut(c, other);
            sim.network().cut(other, c);
        }
        sim.runFor(2_000); // c loses its lease, the promises to it run out

        CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
        for (int i = 0; i < MISSED; i++) {
            int n = i;
            writes = writes.thenCompose(v -> sim.put(a, "missed-" + n, "value-" + n));
        }
        for (int i = 0; i < 100 && !writes.isDone(); i++) {
            sim.runFor(100);
        }
        assertThat(writes).as("the writes commit without c").isCompleted();
        assertThat(writes.isCompletedExceptionally()).isFalse();
        assertThat(c.node().quorum().lease().isCurrent()).as("c, cut off, is not current").isFalse();

        CatchUp firstPage = a.node().catchUps().catchUpFor("c");
        assertThat(firstPage.hints()).as("a page within the budget holds one hint").hasSize(1);
        assertThat(firstPage.more()).as("a page that left hints out says so").isTrue();

        int[] asked = { 0 };
        int[] toldCaughtUp = { 0 };
        sim.network().intercept((from, to, request) -> {
            if (from == c && PeerProtocol.CATCH_UP.equals(request.operation())) {
                asked[0]++;
            }
            if (from == c && PeerProtocol.CAUGHT_UP.equals(request.operation())) {
                toldCaughtUp[0]++;
            }
            return true;
        });
        for (SimNode other : List.of(a, b)) {
            sim.network().uncut(c, other);
            sim.network().uncut(other, c);
        }
        for (int i = 0; i < 200 && !c.node().quorum().lease().isCurrent(); i++) {
            sim.runFor(50);
        }

        assertThat(c.node().quorum().lease().isCurrent()).as("c caught up: %s", c.node().quorum().describe()).isTrue();
        assertThat(asked[0]).as("catch-up requests of c: a page per hint from each grantor (1 or 2 of them)")
                .isGreaterThanOrEqualTo(MISSED);
        assertThat(toldCaughtUp[0]).isGreaterThanOrEqualTo(MISSED - 1);
        NavigableMap<String, String> onA = SimChecks.data(a);
        NavigableMap<String, String> onC = SimChecks.data(c);
        for (int i = 0; i < MISSED; i++) {
            String key = KeySpace.describe(SimWorkload.key("missed-" + i));
            assertThat(onC.get(key)).as("%s on c", key).isNotNull().isEqualTo(onA.get(key));
        }
        assertThat(a.node().catchUps().catchUpFor("c").hints()).as("a dropped every hint c applied").isEmpty();

        ClusterSimulation.Outcome outcome = sim.finish();
        assertThat(outcome.violations()).isEmpty();
    }
}
