package io.quarkiverse.level2pc.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
