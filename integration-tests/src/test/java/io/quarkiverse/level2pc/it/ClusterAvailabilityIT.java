package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * One node killed with {@code kill -9}: the survivors refuse writes quickly with 503 "not ready"
 * (every write needs every peer), keep serving reads, and report the dead peer in their readiness
 * check. Once the node is back, every node turns ready again, writes replicate to it, and it still
 * holds what was written before the kill.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class ClusterAvailabilityIT {

    /** quarkus.level-2pc.ready-timeout's default, plus room for a loaded 2-core machine. */
    private static final long FAIL_FAST_MILLIS = 2_000 + 2_500;

    private static ClusterProcesses cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterProcesses.start("availability");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void survivorsRefuseWritesFastAndKeepReadingWhileAPeerIsDeadThenEverythingResumes() throws Exception {
        String p = "av" + UUID.randomUUID().toString().substring(0, 8) + "-";
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);
        List<NodeProcess> survivors = List.of(a, b);

        // Data written through every node before the kill.
        Map<String, String> before = new LinkedHashMap<>();
        for (NodeProcess n : cluster.nodes()) {
            before.put(p + "before-" + n.name, "written via " + n.name);
            assertThat(DemoClient.put(n, p + "before-" + n.name, "written via " + n.name).status()).isEqualTo(204);
        }
        assertThat(DemoClient.openAccount(c, p + "acct", 42).status()).isEqualTo(204);
        // An acknowledged write's peer commits may still be in flight (commit-peers-in-background): a peer keeps
        // such a key locked until its commit arrives. Killing the coordinator in that window would leave the key
        // blocked until the coordinator returns (the documented guarantee, covered by FaultCampaignIT). This test
        // is about writes refused while a peer is dead, so it first reads everything back on every node: a read
        // waits for the key's prepared branch, so once all reads answered, every commit has been applied.
        for (NodeProcess n : cluster.nodes()) {
            for (Map.Entry<String, String> e : before.entrySet()) {
                assertThat(DemoClient.read(n, e.getKey()).body()).as("%s on %s before the kill", e.getKey(), n.name)
                        .isEqualTo(e.getValue());
            }
            assertThat(DemoClient.balance(n, p + "acct")).as("account on %s before the kill", n.name).isEqualTo(42);
        }

        cluster.kill(2);

        // A write racing the failure detector: the dead peer cannot prepare, so it must not be acknowledged
        // nor applied anywhere.
        Reply racing = DemoClient.put(a, p + "racing", "must not exist");
        System.out.println("ClusterAvailabilityIT: write on a right after the kill of c answered " + racing);
        assertThat(racing.status()).as("write on a right after c was killed: %s", racing).isNotEqualTo(204);
        assertThat(racing.status()).as("write on a right after c was killed: %s", racing).isBetween(500, 599);

        // The survivors notice and stop taking writes (their level-2pc-writes health group turns DOWN), naming
        // the dead peer.
        String dead = "peer " + c.baseUrl();
        for (NodeProcess n : survivors) {
            Awaitility.await(n.name + " notices that c is gone").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> DemoClient.writesHealth(n).status() == 503);
            Reply ready = DemoClient.writesHealth(n);
            assertThat(ready.status()).isEqualTo(503);
            JsonNode check = DemoClient.level2pcCheck(ready);
            assertThat(check.path("status").asText()).isEqualTo("DOWN");
            JsonNode data = check.path("data");
            assertThat(data.has(dead)).as("readiness data of %s lists %s: %s", n.name, dead, data).isTrue();
            assertThat(data.path(dead).asText()).as("state of the dead peer on %s", n.name).doesNotStartWith("connected");
            assertThat(data.path("peers-connected").asInt()).as("peers connected to %s", n.name).isEqualTo(1);
            assertThat(data.path("reason").asText()).as("reason on %s", n.name).contains(c.baseUrl());
            NodeProcess other = n == a ? b : a;
            assertThat(data.path("peer " + other.baseUrl()).asText()).as("the live peer on %s", n.name).startsWith("connected");
            // Readiness stays UP: the node still serves reads, so a load balancer keeps it in service.
            Reply forReads = DemoClient.readiness(n);
            assertThat(forReads.status()).as("readiness of %s while c is dead: %s", n.name, forReads).isEqualTo(200);
            JsonNode readsData = DemoClient.level2pcCheck(forReads).path("data");
            assertThat(readsData.path("writable").asBoolean(true)).as("writable in the readiness data of %s", n.name).isFalse();
            assertThat(readsData.path("writes-refused-because").asText()).as("on %s", n.name).contains(c.baseUrl());
        }

        // Writes of every kind fail fast with 503 "not ready" on both survivors ...
        List<Write> writes = List.of(
                new Write(a, "PUT", () -> DemoClient.put(a, p + "during-a", "x")),
                new Write(b, "DELETE", () -> DemoClient.delete(b, p + "before-a")),
                new Write(a, "batch", () -> DemoClient.batch(a, List.of(Op.put(p + "during-batch", "x"), Op.del(p + "before-b")))),
                new Write(b, "open account", () -> DemoClient.openAccount(b, p + "acct", 1_000_000)));
        for (Write w : writes) {
            Reply r = w.call().get();
            System.out.printf("ClusterAvailabilityIT: %s on %s while c is dead answered %d in %d ms%n", w.what(), w.node().name,
                    r.status(), r.millis());
            assertThat(r.status()).as("%s on %s while c is dead: %s", w.what(), w.node().name, r).isEqualTo(503);
            assertThat(r.error()).as("%s on %s", w.what(), w.node().name).isEqualTo("not ready");
            assertThat(r.json().path("detail").asText()).as("detail of %s on %s", w.what(), w.node().name).contains(c.baseUrl());
            assertThat(r.millis()).as("%s on %s answers within ready-timeout + margin", w.what(), w.node().name)
                    .isLessThan(FAIL_FAST_MILLIS);
        }

        // ... while reads keep working there, and nothing of the refused writes shows.
        for (NodeProcess n : survivors) {
            for (Map.Entry<String, String> e : before.entrySet()) {
                Reply r = DemoClient.read(n, e.getKey());
                assertThat(r.status()).as("read of %s on %s while c is dead: %s", e.getKey(), n.name, r).isEqualTo(200);
                assertThat(r.body()).isEqualTo(e.getValue());
            }
            assertThat(DemoClient.scan(n, p)).as("scan on %s while c is dead", n.name).isEqualTo(new java.util.TreeMap<>(before));
            assertThat(DemoClient.balance(n, p + "acct")).as("account on %s while c is dead", n.name).isEqualTo(42);
        }

        // Back: every node turns ready, the restarted one still has the data written before the kill.
        cluster.restart(2);
        for (NodeProcess n : cluster.nodes()) {
            Awaitility.await(n.name + " ready with all peers connected").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100)).until(() -> DemoClient.writesHealth(n).status() == 200);
            JsonNode data = DemoClient.level2pcCheck(DemoClient.writesHealth(n)).path("data");
            assertThat(data.path("peers-connected").asInt()).as("peers connected to %s: %s", n.name, data).isEqualTo(2);
            assertThat(data.path("in-doubt").asInt(-1)).as("in-doubt on %s", n.name).isZero();
        }
        assertThat(DemoClient.scan(c, p)).as("what c holds after its restart").isEqualTo(new java.util.TreeMap<>(before));
        assertThat(DemoClient.balance(c, p + "acct")).isEqualTo(42);
        assertThat(DemoClient.read(c, p + "racing").status()).as("the write racing the kill, on c").isEqualTo(404);

        // Writes succeed again and replicate to the restarted node, and from it.
        assertThat(DemoClient.put(a, p + "after-a", "via a").status()).isEqualTo(204);
        assertThat(DemoClient.read(c, p + "after-a").body()).isEqualTo("via a");
        assertThat(DemoClient.put(c, p + "after-c", "via c").status()).isEqualTo(204);
        assertThat(DemoClient.delete(c, p + "before-b").status()).isEqualTo(204);
        before.put(p + "after-a", "via a");
        before.put(p + "after-c", "via c");
        before.remove(p + "before-b");
        String first = null;
        for (NodeProcess n : cluster.nodes()) {
            Reply scan = DemoClient.scanRaw(n, p);
            assertThat(DemoClient.scan(n, p)).as("scan on %s after the restart", n.name).isEqualTo(new java.util.TreeMap<>(before));
            if (first == null) {
                first = scan.body();
            } else {
                assertThat(scan.body()).as("scan body of %s equals a's", n.name).isEqualTo(first);
            }
        }
    }

    @FunctionalInterface
    interface Call {
        Reply get() throws Exception;
    }

    record Write(NodeProcess node, String what, Call call) {
    }
}
