package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Op;
import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * Quorum mode on three node JVMs ({@code min-consensus=1}): writes go on without a dead or frozen node
 * once the promises of its read lease have run out; a node that missed commits never answers a read with
 * what it held before (it answers 503 or the new value), and catches up (values, deletions, batches)
 * before it serves reads again; afterwards every node holds the same data.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class QuorumClusterIT {

    /** Short timings so the test runs in seconds; the timing argument is the same as with the defaults. */
    static final Map<String, String> QUORUM = Map.of(
            "quarkus.level-2pc.min-consensus", "1",
            "quarkus.level-2pc.heartbeat-interval", "250ms",
            "quarkus.level-2pc.read-lease", "1s",
            "quarkus.level-2pc.prepare-timeout", "2s",
            "quarkus.level-2pc.ready-timeout", "5s");

    private static ClusterProcesses cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterProcesses.start("quorum", 3, QUORUM);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void writesGoOnWithoutADeadNodeWhichCatchesUpBeforeItServesReads() throws Exception {
        String p = "qd" + UUID.randomUUID().toString().substring(0, 8) + "-";
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);
        assertThat(DemoClient.put(a, p + "kept", "before").status()).isEqualTo(204);
        assertThat(DemoClient.put(a, p + "changed", "before").status()).isEqualTo(204);
        assertThat(DemoClient.put(a, p + "deleted", "before").status()).isEqualTo(204);
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.read(n, p + "deleted").body()).as("on %s before the kill", n.name).isEqualTo("before");
        }

        cluster.kill(2);

        // The first write waits until the promises to c run out (2 x read-lease after c's last heartbeat).
        Reply first = DemoClient.put(a, p + "changed", "while c is dead");
        System.out.println("QuorumClusterIT: first write on a after the kill of c answered " + first);
        assertThat(first.status()).as("first write after the kill: %s", first).isEqualTo(204);
        assertThat(DemoClient.delete(b, p + "deleted").status()).isEqualTo(204);
        assertThat(DemoClient.batch(b, List.of(Op.put(p + "batch-1", "x"), Op.put(p + "batch-2", "y"))).status()).isEqualTo(204);
        assertThat(DemoClient.openAccount(a, p + "acct", 7).status()).isEqualTo(204);
        Map<String, String> expected = new TreeMap<>(Map.of(p + "kept", "before", p + "changed", "while c is dead",
                p + "batch-1", "x", p + "batch-2", "y"));
        for (NodeProcess n : List.of(a, b)) {
            assertThat(DemoClient.scan(n, p)).as("scan on %s while c is dead", n.name).isEqualTo(expected);
            JsonNode data = DemoClient.level2pcCheck(DemoClient.writesHealth(n)).path("data");
            assertThat(data.path("quorum-mode").asText()).as("quorum state of %s", n.name).contains("current");
        }

        long restarted = System.nanoTime();
        cluster.restart(2);
        System.out.printf("QuorumClusterIT: c restarted, caught up and ready in %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
        assertThat(DemoClient.scan(c, p)).as("what c holds once it caught up").isEqualTo(expected);
        assertThat(DemoClient.read(c, p + "deleted").status()).as("the key deleted while c was dead, on c").isEqualTo(404);
        assertThat(DemoClient.balance(c, p + "acct")).isEqualTo(7);

        // c takes part again: a write through c reaches the others, and everyone agrees byte for byte.
        assertThat(DemoClient.put(c, p + "after", "via c").status()).isEqualTo(204);
        expected.put(p + "after", "via c");
        String first2 = null;
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.scan(n, p)).as("scan on %s after the catch-up", n.name).isEqualTo(expected);
            String body = DemoClient.scanRaw(n, p).body();
            if (first2 == null) {
                first2 = body;
            } else {
                assertThat(body).as("scan body of %s", n.name).isEqualTo(first2);
            }
        }
    }

    @Test
    void aFrozenNodeNeverAnswersAReadWithWhatItHeldBeforeItCaughtUp() throws Exception {
        NodeProcess a = cluster.node(0);
        NodeProcess c = cluster.node(2);
        cluster.awaitAllReady(Duration.ofSeconds(60));
        for (int round = 1; round <= 2; round++) {
            String key = "qf" + UUID.randomUUID().toString().substring(0, 8);
            assertThat(DemoClient.put(a, key, "old").status()).isEqualTo(204);
            assertThat(DemoClient.read(c, key).body()).as("c before the pause").isEqualTo("old");

            c.pause();
            List<Reply> failures = new ArrayList<>();
            long paused = System.nanoTime();
            try {
                // Writes fail while a still counts on c (its prepare times out), then commit without c.
                Awaitility.await("a write on a commits without the frozen c").atMost(Duration.ofSeconds(40))
                        .pollInterval(Duration.ofMillis(200)).until(() -> {
                            Reply r = DemoClient.put(a, key, "new");
                            if (r.status() != 204) {
                                failures.add(r);
                            }
                            return r.status() == 204;
                        });
            } finally {
                c.resume();
            }
            System.out.printf("QuorumClusterIT round %d: write committed without the frozen c %d ms after the pause, %d failed"
                    + " attempt(s) %s%n", round, (System.nanoTime() - paused) / 1_000_000, failures.size(),
                    failures.isEmpty() ? "" : "(last: " + failures.get(failures.size() - 1) + ")");
            for (Reply f : failures) {
                assertThat(f.status()).as("a refused write while c is frozen: %s", f).isBetween(500, 599);
            }

            // Right after it thaws, c either refuses (503) or has caught up: it never answers "old".
            List<Reply> reads = new ArrayList<>();
            Awaitility.await("c serves the new value").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        Reply r = DemoClient.read(c, key);
                        reads.add(r);
                        return r.status() == 200;
                    });
            long refused = reads.stream().filter(r -> r.status() == 503).count();
            System.out.printf("QuorumClusterIT round %d: c answered %d read(s) after thawing, %d refused (503), then %s%n", round,
                    reads.size(), refused, reads.get(reads.size() - 1));
            for (Reply r : reads) {
                assertThat(r.status()).as("a read on c after it thawed: %s", r).isIn(200, 503);
                if (r.status() == 200) {
                    assertThat(r.body()).as("read on c after it thawed").isEqualTo("new");
                }
            }
        }
    }
}
