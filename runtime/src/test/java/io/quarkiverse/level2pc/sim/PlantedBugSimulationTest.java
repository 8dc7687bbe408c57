package io.quarkiverse.level2pc.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.MemoryStore;
import io.quarkiverse.level2pc.storage.WriteOps;

/**
 * The simulation catches real bugs: with a bug planted into the nodes, some seeds of a fault kind that can
 * expose it must fail, and the same seeds without the bug must pass. Each planted bug breaks one rule the
 * protocol depends on.
 */
class PlantedBugSimulationTest {

    static final int SEEDS = 150;

    @BeforeAll
    static void quietLogs() {
        Logger.getLogger("io.quarkiverse.level2pc").setLevel(Level.OFF);
    }

    /**
     * "Persist before you vote", broken: every store acknowledges the sync of a prepare record without doing it
     * (a disk that lies), so a participant votes YES on a record a power loss takes away.
     */
    @Test
    void aYesVoteBeforeThePrepareRecordIsDurableIsCaught() {
        Consumer<List<SimNode>> plant = nodes -> nodes.forEach(n -> n.store().faults((sync, writes) -> writesPrepareRecord(writes)
                ? MemoryStore.Fault.NOT_DURABLE
                : MemoryStore.Fault.NONE));
        assertCaught(ClusterSimulation.Fault.POWER_LOSS, false, plant);
    }

    /**
     * Read fencing, broken: one node's monotonic clock runs at a third of the others' speed, so it believes
     * its read lease still holds long after the promises behind it ran out, and serves reads while the
     * others commit without it.
     */
    @Test
    void aReadWithoutALeaseIsCaught() {
        Consumer<List<SimNode>> plant = nodes -> nodes.get(2).clock().setRate(0.3);
        assertCaught(ClusterSimulation.Fault.ISOLATE, true, plant);
    }

    private static boolean writesPrepareRecord(List<WriteOps> group) {
        for (WriteOps ops : group) {
            for (int i = 0; i < ops.size(); i++) {
                if (ops.value(i) != null && ops.key(i).length > 0 && ops.key(i)[0] == KeySpace.PREPARE) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void assertCaught(ClusterSimulation.Fault fault, boolean quorum, Consumer<List<SimNode>> plant) {
        int caught = 0;
        String example = null;
        for (int i = 0; i < SEEDS; i++) {
            long seed = 424_242L + 31L * i;
            ClusterSimulation.Outcome buggy = ClusterSimulation.run(new ClusterSimulation.Scenario(seed, quorum, fault, false, plant));
            if (!buggy.ok()) {
                ClusterSimulation.Outcome clean = ClusterSimulation.run(new ClusterSimulation.Scenario(seed, quorum, fault, false));
                assertThat(clean.violations()).as("seed %d without the planted bug", seed).isEmpty();
                caught++;
                example = example != null ? example : "seed " + seed + ": " + buggy.violations().get(0);
            }
        }
        System.out.printf("planted bug under %s (%s): caught by %d of %d seeds; first: %s%n", fault, quorum ? "quorum" : "full",
                caught, SEEDS, example);
        assertThat(caught).as("seeds that expose the planted bug").isPositive();
    }
}
