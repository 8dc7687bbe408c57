package io.quarkiverse.level2pc.it;

import static io.quarkiverse.level2pc.it.DemoClient.Op.del;
import static io.quarkiverse.level2pc.it.DemoClient.Op.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * Three real nodes: a write acknowledged by any node is already on every node when the call returns.
 * Each read on the other nodes is issued right after the 204, without waiting or retrying.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class ClusterReplicationIT {

    private static ClusterProcesses cluster;
    private static String run;

    @BeforeAll
    static void startCluster() throws Exception {
        run = "rep" + UUID.randomUUID().toString().substring(0, 8) + "-";
        cluster = ClusterProcesses.start("replication");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void putOnAnyNodeIsReadableOnEveryNodeAsSoonAsItReturns() throws Exception {
        String key = run + "put";
        for (int round = 0; round < 2; round++) {
            for (NodeProcess writer : cluster.nodes()) {
                String value = "from " + writer.name + " round " + round;
                assertThat(DemoClient.put(writer, key, value).status()).as("PUT on %s", writer.name).isEqualTo(204);
                for (NodeProcess reader : cluster.nodes()) {
                    Reply r = DemoClient.read(reader, key);
                    assertThat(r.status()).as("GET on %s after PUT on %s: %s", reader.name, writer.name, r).isEqualTo(200);
                    assertThat(r.body()).as("value on %s after PUT on %s", reader.name, writer.name).isEqualTo(value);
                }
            }
        }
    }

    @Test
    void deleteOnAnyNodeIsGoneFromEveryNodeAsSoonAsItReturns() throws Exception {
        for (NodeProcess deleter : cluster.nodes()) {
            String key = run + "del-" + deleter.name;
            NodeProcess writer = cluster.node((cluster.nodes().indexOf(deleter) + 1) % cluster.size());
            assertThat(DemoClient.put(writer, key, "doomed").status()).isEqualTo(204);
            for (NodeProcess reader : cluster.nodes()) {
                assertThat(DemoClient.read(reader, key).body()).as("before the delete, on %s", reader.name).isEqualTo("doomed");
            }
            assertThat(DemoClient.delete(deleter, key).status()).as("DELETE on %s", deleter.name).isEqualTo(204);
            for (NodeProcess reader : cluster.nodes()) {
                Reply r = DemoClient.read(reader, key);
                assertThat(r.status()).as("GET on %s after DELETE on %s: %s", reader.name, deleter.name, r).isEqualTo(404);
                assertThat(r.error()).isEqualTo("not found");
            }
        }
    }

    @Test
    void batchOnAnyNodeIsAppliedOnEveryNodeAsSoonAsItReturns() throws Exception {
        String p = run + "batch-";
        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < 4; i++) {
            expected.put(p + i, "initial " + i);
        }
        assertThat(DemoClient.batch(cluster.node(0), expected.entrySet().stream().map(e -> put(e.getKey(), e.getValue())).toList())
                .status()).isEqualTo(204);
        assertIdenticalScans(p, expected);

        for (NodeProcess writer : cluster.nodes()) {
            String tag = "by " + writer.name;
            List<DemoClient.Op> ops = List.of(
                    put(p + "0", tag),
                    del(p + "1"),
                    put(p + "new-" + writer.name, tag),
                    put(p + "3", "first " + tag),
                    put(p + "3", "last " + tag), // the later op on a key wins within a batch
                    del(p + "never-existed"));
            Reply r = DemoClient.batch(writer, ops);
            assertThat(r.status()).as("batch on %s: %s", writer.name, r).isEqualTo(204);
            expected.put(p + "0", tag);
            expected.remove(p + "1");
            expected.put(p + "new-" + writer.name, tag);
            expected.put(p + "3", "last " + tag);
            assertIdenticalScans(p, expected);
        }
    }

    @Test
    void eachNodesMetricsShowItsPeersAndItsCallsToThem() throws Exception {
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.put(n, run + "metrics-" + n.name, "v").status()).isEqualTo(204);
        }
        for (NodeProcess n : cluster.nodes()) {
            String metrics = DemoClient.get(n, "/q/metrics").body();
            assertThat(metrics).as("metrics of %s", n.name).contains("level2pc_peers_connected 2.0", "level2pc_peers 2.0",
                    "level2pc_peer_states{state=\"connected\"} 2.0");
            for (NodeProcess other : cluster.nodes()) {
                if (other != n) {
                    assertThat(metrics).as("%s's calls to %s", n.name, other.name).containsPattern(
                            "level2pc_peer_calls_seconds_count\\{operation=\"prepare\",outcome=\"ok\",peer=\""
                                    + java.util.regex.Pattern.quote(other.baseUrl()) + "\"} [1-9]");
                }
            }
        }
    }

    @Test
    void bankAccountOpenedOnOneNodeIsReadableOnTheOthers() throws Exception {
        String alice = run + "alice";
        String bob = run + "bob";
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);
        assertThat(DemoClient.openAccount(b, alice, 500).status()).isEqualTo(204);
        assertThat(DemoClient.openAccount(c, bob, 100).status()).isEqualTo(204);
        for (NodeProcess n : cluster.nodes()) {
            Reply r = DemoClient.get(n, "/bank/accounts/" + alice);
            assertThat(r.status()).as("account on %s: %s", n.name, r).isEqualTo(200);
            JsonNode j = r.json();
            assertThat(j.get("id").asText()).isEqualTo(alice);
            assertThat(j.get("balance").asLong()).isEqualTo(500);
            assertThat(DemoClient.balance(n, bob)).as("bob on %s", n.name).isEqualTo(100);
        }

        Reply t = DemoClient.transfer(a, alice, bob, 200);
        assertThat(t.status()).as("transfer on a: %s", t).isEqualTo(200);
        assertThat(t.json().get("from").get("balance").asLong()).isEqualTo(300);
        assertThat(t.json().get("to").get("balance").asLong()).isEqualTo(300);
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.balance(n, alice)).as("alice on %s after the transfer", n.name).isEqualTo(300);
            assertThat(DemoClient.balance(n, bob)).as("bob on %s after the transfer", n.name).isEqualTo(300);
        }

        Reply refused = DemoClient.transfer(c, bob, alice, 301);
        assertThat(refused.status()).as("overdraft on c: %s", refused).isEqualTo(422);
        assertThat(refused.error()).isEqualTo("insufficient funds");
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.balance(n, alice)).as("alice on %s after the refused transfer", n.name).isEqualTo(300);
            assertThat(DemoClient.balance(n, bob)).as("bob on %s after the refused transfer", n.name).isEqualTo(300);
        }
    }

    /** Every node's scan of {@code prefix} is exactly {@code expected}, byte for byte the same body. */
    private static void assertIdenticalScans(String prefix, Map<String, String> expected) throws Exception {
        String first = null;
        for (NodeProcess n : cluster.nodes()) {
            Reply r = DemoClient.scanRaw(n, prefix);
            assertThat(r.status()).as("scan on %s: %s", n.name, r).isEqualTo(200);
            assertThat(DemoClient.JSON.readValue(r.body(), LinkedHashMap.class)).as("scan on %s", n.name)
                    .containsExactlyEntriesOf(expected);
            if (first == null) {
                first = r.body();
            } else {
                assertThat(r.body()).as("scan body on %s equals node a's", n.name).isEqualTo(first);
            }
        }
    }
}
