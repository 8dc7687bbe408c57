package io.quarkiverse.level2pc.it.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The targets, the operations of the workloads and their HTTP forms on the demo and on etcd, the answers' meaning. */
class HttpOpTest {

    @Test
    void targetsAreLabelledAndOrdered() {
        assertThat(Target.LOCAL_LEVELDB.label()).isEqualTo("LevelDB (local)");
        assertThat(new Target(1).label()).isEqualTo("1 node");
        assertThat(Target.etcd(3).label()).isEqualTo("etcd, 3 members");
        assertThat(Target.etcd(1).label()).isEqualTo("etcd, 1 member");
        assertThat(Target.etcd(3)).isNotEqualTo(new Target(3));
        assertThat(java.util.stream.Stream.of(Target.etcd(1), new Target(3), Target.LOCAL_LEVELDB, new Target(1)).sorted())
                .containsExactly(Target.LOCAL_LEVELDB, new Target(1), new Target(3), Target.etcd(1));
        assertThatThrownBy(() -> Target.etcd(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EtcdBinary.find("sh")).isPresent();
        assertThat(EtcdBinary.find("no-such-binary-of-the-harness")).isEmpty();
    }

    @Test
    void operationsAreReproducibleAndMatchTheHttpContract() throws Exception {
        Keyspace space = new Keyspace(1000, 50, 100, 42);
        OpSource a = new OpSource(Workload.BATCH, space, 42, 16, 3);
        OpSource b = new OpSource(Workload.BATCH, space, 42, 16, 3);
        for (int i = 0; i < 20; i++) {
            assertThat(a.next()).isEqualTo(b.next());
        }
        Op.Batch batch = (Op.Batch) a.next();
        assertThat(batch.puts()).hasSize(Workload.BATCH_SIZE);
        assertThat(batch.puts().stream().map(Op.Put::key).distinct()).hasSize(Workload.BATCH_SIZE);
        assertThat(batch.puts()).allSatisfy(p -> assertThat(p.value().bytes()).hasSize(100));

        HttpOp http = HttpOp.of(batch);
        assertThat(http.method()).isEqualTo("POST");
        assertThat(http.path()).isEqualTo("/kv/batch");
        JsonNode json = new ObjectMapper().readTree(http.body());
        assertThat(json).hasSize(Workload.BATCH_SIZE);
        assertThat(json.get(0).get("op").asText()).isEqualTo("put");
        assertThat(json.get(0).get("key").asText()).isEqualTo(batch.puts().get(0).key());
        assertThat(json.get(0).get("value").asText()).isEqualTo(batch.puts().get(0).value().text());

        Op.Transfer t = (Op.Transfer) new OpSource(Workload.BANK, space, 42, 1, 0).next();
        assertThat(t.from()).isNotEqualTo(t.to());
        JsonNode transfer = new ObjectMapper().readTree(HttpOp.of(t).body());
        assertThat(transfer.get("from").asText()).isEqualTo(t.from());
        assertThat(transfer.get("amount").asLong()).isEqualTo(1);

        OpSource mixed = new OpSource(Workload.MIXED, space, 42, 64, 0);
        int puts = 0;
        for (int i = 0; i < 10_000; i++) {
            if (mixed.next() instanceof Op.Put) {
                puts++;
            }
        }
        assertThat(puts).isBetween(800, 1200);
        assertThat(HttpOp.of(new Op.Get("k1"))).isEqualTo(new HttpOp("GET", "/kv/k1", null, null));
        assertThat(HttpOp.of(Op.Ping.INSTANCE).path()).isEqualTo("/ping");
        assertThat(HttpOp.of(Target.Kind.NODES, new Op.Get("k1"))).isEqualTo(HttpOp.of(new Op.Get("k1")));

        OpSource hot = new OpSource(Workload.HOT_BANK, space, 42, 16, 5);
        java.util.Set<String> accounts = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Op.Transfer h = (Op.Transfer) hot.next();
            assertThat(h.from()).isNotEqualTo(h.to());
            assertThat(h.amount()).isEqualTo(1);
            accounts.add(h.from());
            accounts.add(h.to());
        }
        assertThat(accounts).containsExactlyInAnyOrder(java.util.stream.IntStream.range(0, Workload.HOT_BANK_ACCOUNTS)
                .mapToObj(Keyspace::account).toArray(String[]::new));
        assertThat(HttpOp.of(new OpSource(Workload.HOT_BANK, space, 42, 1, 0).next()).path()).isEqualTo("/bank/transfer");
    }

    private static String unbase64(JsonNode n) {
        return new String(java.util.Base64.getDecoder().decode(n.asText()), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void operationsMatchEtcdsJsonGateway() throws Exception {
        Keyspace space = new Keyspace(1000, 50, 100, 42);
        ObjectMapper mapper = new ObjectMapper();
        Op.Put put = new Op.Put("k7", space.value(3));
        HttpOp p = HttpOp.of(Target.Kind.ETCD, put);
        assertThat(p.method()).isEqualTo("POST");
        assertThat(p.path()).isEqualTo("/v3/kv/put");
        assertThat(p.contentType()).isEqualTo(HttpOp.JSON);
        JsonNode pj = mapper.readTree(p.body());
        assertThat(unbase64(pj.get("key"))).isEqualTo("k7");
        assertThat(unbase64(pj.get("value"))).isEqualTo(space.value(3).text());

        Op.Batch batch = (Op.Batch) new OpSource(Workload.BATCH, space, 42, 1, 0).next();
        HttpOp b = HttpOp.etcd(batch);
        assertThat(b.path()).isEqualTo("/v3/kv/txn");
        JsonNode txn = mapper.readTree(b.body());
        assertThat(txn.has("compare")).isFalse();
        assertThat(txn.get("success")).hasSize(Workload.BATCH_SIZE);
        for (int i = 0; i < Workload.BATCH_SIZE; i++) {
            JsonNode req = txn.get("success").get(i).get("requestPut");
            assertThat(unbase64(req.get("key"))).isEqualTo(batch.puts().get(i).key());
            assertThat(unbase64(req.get("value"))).isEqualTo(batch.puts().get(i).value().text());
        }

        HttpOp g = HttpOp.etcd(new Op.Get("k9"));
        assertThat(g.path()).isEqualTo("/v3/kv/range");
        assertThat(unbase64(mapper.readTree(g.body()).get("key"))).isEqualTo("k9");
        assertThat(mapper.readTree(g.body()).has("serializable")).isFalse(); // linearizable
        String found = "{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"azk=\",\"value\":\"dg==\"}],\"count\":\"1\"}";
        String missing = "{\"header\":{\"revision\":\"3\"}}";
        assertThat(g.outcome(200, found)).isEqualTo(HttpOp.Outcome.OK);
        assertThat(g.outcome(200, missing)).isEqualTo(HttpOp.Outcome.ERROR);
        assertThat(g.errorKindOf(200, missing)).isEqualTo("HTTP 200 without \"kvs\" (key missing)");
        assertThat(g.errorKindOf(503, "{\"error\":\"etcdserver: no leader\",\"code\":14}"))
                .isEqualTo("HTTP 503 etcdserver: no leader");
        assertThat(p.outcome(200, null)).isEqualTo(HttpOp.Outcome.OK);
        assertThat(HttpOp.etcd(Op.Ping.INSTANCE)).isEqualTo(new HttpOp("GET", "/version", null, null));
        assertThatThrownBy(() -> HttpOp.etcd(new Op.Transfer("acct0", "acct1", 1))).hasMessageContaining("no etcd form");
        assertThatThrownBy(() -> HttpOp.of(Target.Kind.LOCAL_LEVELDB, put)).isInstanceOf(IllegalArgumentException.class);
        assertThat(java.util.Arrays.stream(Workload.values()).filter(w -> !w.onEtcd)).containsExactly(Workload.BANK,
                Workload.HOT_BANK);
    }

    @Test
    void answersAreClassified() {
        assertThat(HttpOp.outcome(204)).isEqualTo(HttpOp.Outcome.OK);
        assertThat(HttpOp.outcome(200)).isEqualTo(HttpOp.Outcome.OK);
        assertThat(HttpOp.outcome(409)).isEqualTo(HttpOp.Outcome.CONFLICT);
        assertThat(HttpOp.outcome(503)).isEqualTo(HttpOp.Outcome.ERROR);
        assertThat(HttpOp.outcome(404)).isEqualTo(HttpOp.Outcome.ERROR);
        assertThat(HttpOp.errorKind(503, "{\"error\":\"not ready\",\"detail\":\"...\"}")).isEqualTo("HTTP 503 not ready");
        assertThat(HttpOp.errorKind(500, "")).isEqualTo("HTTP 500");
        assertThat(Recorder.errorKind(new java.io.IOException("x".repeat(100)))).startsWith("IOException: xxx").endsWith("...")
                .hasSizeLessThan(100);
    }
}
