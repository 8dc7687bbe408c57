package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * Section 11 of the cluster guide, repeated: three nodes in quorum mode with the guide's settings
 * ({@code min-consensus=1}, every timing at its default), a write, a {@code kill -9} of one node at a
 * random moment 0–3 s later, then a write on each of the two others at the same time. Every one of
 * those writes commits (204) — none is refused 409 for a promise that was about to run out, none fails
 * — and the killed node, restarted, reads both keys. Twelve rounds, the killed node in turn {@code c},
 * {@code a}, {@code b}; the seed of the random moments is printed ({@code -Dguide.repeat.seed} replays
 * it).
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class QuorumKillRepeatIT {

    static final int ROUNDS = 12;

    @Test
    void everyWriteAfterAKillAtARandomMomentCommitsAndTheNodeCatchesUp() throws Exception {
        long seed = Long.getLong("guide.repeat.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.println("QuorumKillRepeatIT: seed " + seed + " (-Dguide.repeat.seed=" + seed + " replays the kill moments)");
        List<String> summary = new ArrayList<>();
        try (ClusterProcesses cluster = ClusterProcesses.start("quorum-repeat", 3, Map.of("quarkus.level-2pc.min-consensus", "1"))) {
            for (int round = 0; round < ROUNDS; round++) {
                int victim = (round + 2) % 3;
                NodeProcess first = cluster.node((victim + 1) % 3);
                NodeProcess second = cluster.node((victim + 2) % 3);
                String key1 = "r" + round + "-first";
                String key2 = "r" + round + "-second";

                assertThat(DemoClient.put(first, "r" + round + "-before", "before").status()).as("round %d: the write before the kill", round)
                        .isEqualTo(204);
                long pause = random.nextInt(3001);
                Thread.sleep(pause); // the scenario: the kill lands at a random moment after the last write
                cluster.kill(victim);

                long killed = System.nanoTime();
                CompletableFuture<Reply> w1 = CompletableFuture.supplyAsync(() -> put(first, key1, "on " + first.name));
                CompletableFuture<Reply> w2 = CompletableFuture.supplyAsync(() -> put(second, key2, "on " + second.name));
                Reply r1 = w1.join();
                long t1 = (System.nanoTime() - killed) / 1_000_000;
                Reply r2 = w2.join();
                long t2 = (System.nanoTime() - killed) / 1_000_000;
                String line = String.format("round %2d: killed %s %4d ms after the last write; write on %s: %d after %d ms, on %s: %d after %d ms",
                        round, cluster.node(victim).name, pause, first.name, r1.status(), t1, second.name, r2.status(), t2);
                summary.add(line);
                System.out.println("QuorumKillRepeatIT " + line);
                assertThat(r1.status()).as("%s: %s", line, r1).isEqualTo(204);
                assertThat(r2.status()).as("%s: %s", line, r2).isEqualTo(204);

                NodeProcess back = cluster.restart(victim);
                assertThat(DemoClient.read(back, key1).body()).as("round %d: %s reads %s after its restart", round, back.name, key1)
                        .isEqualTo("on " + first.name);
                assertThat(DemoClient.read(back, key2).body()).as("round %d: %s reads %s after its restart", round, back.name, key2)
                        .isEqualTo("on " + second.name);
            }
        }
        System.out.println("QuorumKillRepeatIT: " + ROUNDS + " rounds, every write after the kill committed:\n  "
                + String.join("\n  ", summary));
    }

    private static Reply put(NodeProcess node, String key, String value) {
        try {
            return DemoClient.put(node, key, value);
        } catch (Exception e) {
            throw new IllegalStateException("PUT " + key + " on " + node.name + ": " + e, e);
        }
    }
}
