package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.it.DemoClient.Reply;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * The peer endpoints of a running cluster node ({@code /level-2pc/peer/*}) let in only callers that
 * prove knowledge of the cluster secret, within the replay window, once per request, under the name of one of
 * the node's members; malformed input from an authenticated member is a 4xx naming the problem; and none of it
 * changes the node's data or leaves anything in doubt. The test signs as node 1, a member of node 0 (the node it
 * calls). The nodes run with {@code max-message-size=1K}.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PeerSecurityIT {

    private static final List<String> OPERATIONS = List.of(PeerProtocol.PREPARE, PeerProtocol.COMMIT, PeerProtocol.ROLLBACK,
            PeerProtocol.RECOVER, PeerProtocol.HELLO);
    /** The name the test signs with: node 1's, a member of node 0. */
    private static String sender;

    private static ClusterProcesses cluster;
    private static NodeProcess node;
    private static PeerAuth auth;
    private static String dataBefore;
    private static String run;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterProcesses.start("peer-security", 3, Map.of("quarkus.level-2pc.max-message-size", "1K"));
        node = cluster.node(0);
        sender = cluster.node(1).name;
        auth = new PeerAuth(cluster.secret, Duration.ofSeconds(30), Clock.systemUTC());
        run = "sec" + UUID.randomUUID().toString().substring(0, 8) + "-";
        for (int i = 0; i < 5; i++) {
            assertThat(DemoClient.put(cluster.node(i % 3), run + i, "value " + i).status()).isEqualTo(204);
        }
        assertThat(DemoClient.openAccount(node, run + "acct", 100).status()).isEqualTo(204);
        dataBefore = fullScan();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void everyOperationWithoutAuthenticationIs401() throws Exception {
        for (String op : OPERATIONS) {
            Reply r = post(op, new byte[] { 0, 1, 2 }, clusterHeaders());
            assertError(r, 401, "unauthorized", "missing authentication headers");
        }
    }

    @Test
    @Order(2)
    void signatureMadeWithAnotherSecretIs401() throws Exception {
        PeerAuth wrong = new PeerAuth("not-the-cluster-secret-" + UUID.randomUUID(), Duration.ofSeconds(30), Clock.systemUTC());
        for (String op : OPERATIONS) {
            byte[] body = op.equals(PeerProtocol.ROLLBACK) ? Codec.encodeBranch(unknownBranch()) : new byte[0];
            Reply r = post(op, body, signed(wrong, op, body));
            assertError(r, 401, "unauthorized", "bad signature");
        }
    }

    @Test
    @Order(3)
    void staleOrFutureTimestampIs401() throws Exception {
        for (Duration skew : List.of(Duration.ofMinutes(-5), Duration.ofMinutes(5))) {
            Clock skewed = Clock.fixed(Instant.now().plus(skew), ZoneOffset.UTC);
            PeerAuth old = new PeerAuth(cluster.secret, Duration.ofSeconds(30), skewed);
            for (String op : OPERATIONS) {
                Reply r = post(op, new byte[0], signed(old, op, new byte[0]));
                assertError(r, 401, "unauthorized", "timestamp");
            }
        }
        Map<String, String> h = signed(auth, PeerProtocol.HELLO, new byte[0]);
        h.put(PeerProtocol.HEADER_DATE, "yesterday");
        assertError(post(PeerProtocol.HELLO, new byte[0], h), 401, "unauthorized", PeerProtocol.HEADER_DATE);
    }

    @Test
    @Order(4)
    void signatureCoversBodyPathAndSender() throws Exception {
        byte[] body = Codec.encodeBranch(unknownBranch());
        Map<String, String> h = signed(auth, PeerProtocol.ROLLBACK, body);
        byte[] tampered = body.clone();
        tampered[tampered.length - 1] ^= 1;
        assertError(post(PeerProtocol.ROLLBACK, tampered, h), 401, "unauthorized", "bad signature");

        Map<String, String> forHello = signed(auth, PeerProtocol.HELLO, new byte[0]);
        assertError(post(PeerProtocol.RECOVER, new byte[0], forHello), 401, "unauthorized", "bad signature");

        Map<String, String> other = signed(auth, PeerProtocol.RECOVER, new byte[0]);
        other.put(PeerProtocol.HEADER_NODE, cluster.node(2).name); // another member: only the signature tells
        assertError(post(PeerProtocol.RECOVER, new byte[0], other), 401, "unauthorized", "bad signature");

        Map<String, String> readdressed = signed(auth, PeerProtocol.RECOVER, new byte[0]);
        readdressed.put(PeerProtocol.HEADER_TO, "b");
        assertError(post(PeerProtocol.RECOVER, new byte[0], readdressed), 401, "unauthorized", "bad signature");
    }

    @Test
    @Order(4)
    void aRequestForAnotherNodeIsRefusedSoACapturedOneCannotBeReplayedHere() throws Exception {
        // What a capture of a's request to peer b looks like: correctly signed, for b.
        byte[] branch = Codec.encodeBranch(unknownBranch());
        Map<String, String> forB = clusterHeaders();
        forB.putAll(auth.sign("POST", PeerProtocol.PATH_PREFIX + PeerProtocol.ROLLBACK, sender, "b", branch));
        assertError(post(PeerProtocol.ROLLBACK, branch, forB), 401, "unauthorized", "misaddressed: the request is for node 'b', this is node '" + node.name + "'");

        Map<String, String> unnamed = clusterHeaders();
        unnamed.putAll(auth.sign("POST", PeerProtocol.PATH_PREFIX + PeerProtocol.ROLLBACK, sender, null, branch));
        assertError(post(PeerProtocol.ROLLBACK, branch, unnamed), 401, "unauthorized", "must name its recipient");

        // Only a hello may name nobody: the caller learns the peer's name from its answer.
        Map<String, String> firstHello = clusterHeaders();
        firstHello.putAll(auth.sign("POST", PeerProtocol.PATH_PREFIX + PeerProtocol.HELLO, sender, null, new byte[0]));
        Reply hello = post(PeerProtocol.HELLO, new byte[0], firstHello);
        assertThat(hello.status()).as("hello naming no recipient: %s", hello).isEqualTo(200);
        assertThat(hello.json().path("node").asText()).isEqualTo(node.name);
    }

    @Test
    @Order(4)
    void aCorrectlySignedRequestFromANodeThatIsNotAMemberIsRefusedWith403() throws Exception {
        byte[] lease = "lease".getBytes(StandardCharsets.US_ASCII);
        byte[] prepare = Codec.encodePrepare(unknownBranch(), new TxWork(new TreeMap<>(Map.of(KeySpace.dataKey(
                KeySpace.dbPrefix(KeySpace.DEFAULT_DB), utf8(run + "intruded")), utf8("v"))), new HashMap<>(), "intruder"));
        for (String op : List.of(PeerProtocol.HELLO, PeerProtocol.PREPARE, PeerProtocol.RECOVER)) {
            byte[] body = op.equals(PeerProtocol.HELLO) ? lease : op.equals(PeerProtocol.PREPARE) ? prepare : new byte[0];
            Map<String, String> h = clusterHeaders();
            h.putAll(auth.sign("POST", PeerProtocol.PATH_PREFIX + op, "intruder", node.name, body));
            assertError(post(op, body, h), 403, "not a member",
                    "node 'intruder' is not among the peers of node '" + node.name + "' (quarkus.level-2pc.peers");
        }
        Map<String, String> own = clusterHeaders();
        own.putAll(auth.sign("POST", PeerProtocol.PATH_PREFIX + PeerProtocol.HELLO, node.name, node.name, lease));
        assertError(post(PeerProtocol.HELLO, lease, own), 403, "not a member", "this node's own name");
        // Nothing prepared, nothing promised: checked by the last test (same data, nothing in doubt, writes go on).
    }

    @Test
    @Order(5)
    void correctlySignedRequestsAreServed() throws Exception {
        Reply hello = post(PeerProtocol.HELLO, new byte[0], signed(auth, PeerProtocol.HELLO, new byte[0]));
        assertThat(hello.status()).as("signed hello: %s", hello).isEqualTo(200);
        assertThat(hello.json().path("node").asText()).isEqualTo(node.name);
        assertThat(hello.json().path("protocol").asInt()).isEqualTo(PeerProtocol.VERSION);

        Reply recover = post(PeerProtocol.RECOVER, new byte[0], signed(auth, PeerProtocol.RECOVER, new byte[0]));
        assertThat(recover.status()).as("signed recover: %s", recover).isEqualTo(200);
        assertThat(Codec.decodeBranches(recover.body().getBytes(StandardCharsets.ISO_8859_1))).isEmpty();

        byte[] branch = Codec.encodeBranch(unknownBranch());
        // A commit first: a rollback of an unknown branch is remembered (a late prepare is refused), after which a
        // commit of it is out of order.
        assertError(post(PeerProtocol.COMMIT, branch, signed(auth, PeerProtocol.COMMIT, branch)), 404, "unknown branch",
                "no branch");
        assertError(post(PeerProtocol.ROLLBACK, branch, signed(auth, PeerProtocol.ROLLBACK, branch)), 404, "unknown branch",
                "no branch");
        assertError(post("explode", new byte[0], signed(auth, "explode", new byte[0])), 404, "unknown operation", "explode");
    }

    @Test
    @Order(6)
    void malformedBodiesFromAnAuthenticatedCallerAre400NamingTheProblem() throws Exception {
        byte[] garbage = new byte[200];
        new java.util.Random(42).nextBytes(garbage);
        garbage[0] = (byte) 0x7f;
        byte[] branch = Codec.encodeBranch(unknownBranch());
        byte[] truncated = Arrays.copyOf(branch, branch.length - 3);
        byte[] trailing = Arrays.copyOf(branch, branch.length + 2);
        byte[] hugeCount = validPrepareWithWriteCount(Integer.MAX_VALUE);

        record Case(String op, byte[] body, String detail) {
        }
        for (Case c : List.of(
                new Case(PeerProtocol.PREPARE, garbage, "prepare record"),
                new Case(PeerProtocol.PREPARE, new byte[0], "empty body"),
                new Case(PeerProtocol.PREPARE, hugeCount, "prepare record"),
                new Case(PeerProtocol.COMMIT, new byte[0], "branch id"),
                new Case(PeerProtocol.COMMIT, truncated, "branch id"),
                new Case(PeerProtocol.COMMIT, garbage, "branch id"),
                new Case(PeerProtocol.BATCH, garbage, "message batch"),
                new Case(PeerProtocol.ROLLBACK, truncated, "branch id"),
                new Case(PeerProtocol.ROLLBACK, trailing, "trailing"),
                new Case(PeerProtocol.ROLLBACK, new byte[0], "branch id"))) {
            Reply r = post(c.op(), c.body(), signed(auth, c.op(), c.body()));
            assertError(r, 400, "malformed request", c.detail());
        }
    }

    @Test
    @Order(7)
    void otherClusterOrProtocolIs412() throws Exception {
        Map<String, String> h = signed(auth, PeerProtocol.HELLO, new byte[0]);
        h.put(PeerProtocol.HEADER_CLUSTER, "someone-elses-cluster");
        assertError(post(PeerProtocol.HELLO, new byte[0], h), 412, "other cluster", "someone-elses-cluster");

        Map<String, String> p = signed(auth, PeerProtocol.RECOVER, new byte[0]);
        p.put(PeerProtocol.HEADER_PROTOCOL, "99");
        assertError(post(PeerProtocol.RECOVER, new byte[0], p), 412, "other protocol version", "99");

        Map<String, String> none = signed(auth, PeerProtocol.RECOVER, new byte[0]);
        none.remove(PeerProtocol.HEADER_CLUSTER);
        Reply r = post(PeerProtocol.RECOVER, new byte[0], none);
        assertThat(r.status()).as("no cluster header: %s", r).isEqualTo(412);
    }

    @Test
    @Order(8)
    void bodyLargerThanMaxMessageSizeIs413() throws Exception {
        byte[] big = new byte[2048];
        Reply signedBig = post(PeerProtocol.PREPARE, big, signed(auth, PeerProtocol.PREPARE, big));
        System.out.println("PeerSecurityIT: 2 KiB prepare answered " + signedBig);
        assertThat(signedBig.status()).as("signed 2 KiB prepare against max-message-size=1K: %s", signedBig).isEqualTo(413);
        assertThat(signedBig.body()).as("the 413 names the property to change").contains("too large").contains("max-message-size");
        Reply unsignedBig = post(PeerProtocol.COMMIT, big, clusterHeaders());
        assertThat(unsignedBig.status()).as("unsigned 2 KiB commit, refused on its headers before its body is read: %s",
                unsignedBig).isEqualTo(401);
        assertThat(unsignedBig.body()).contains("missing authentication headers");
        byte[] fits = new byte[1000];
        Reply small = post(PeerProtocol.PREPARE, fits, signed(auth, PeerProtocol.PREPARE, fits));
        assertThat(small.status()).as("signed 1000-byte (zero) prepare is parsed, not refused for size: %s", small).isEqualTo(400);
    }

    @Test
    @Order(9)
    void replayedRequestIs401() throws Exception {
        Map<String, String> h = signed(auth, PeerProtocol.HELLO, new byte[0]);
        assertThat(post(PeerProtocol.HELLO, new byte[0], h).status()).isEqualTo(200);
        assertError(post(PeerProtocol.HELLO, new byte[0], h), 401, "unauthorized", "replayed");

        byte[] branch = Codec.encodeBranch(unknownBranch());
        Map<String, String> rb = signed(auth, PeerProtocol.ROLLBACK, branch);
        assertThat(post(PeerProtocol.ROLLBACK, branch, rb).status()).isEqualTo(404);
        assertError(post(PeerProtocol.ROLLBACK, branch, rb), 401, "unauthorized", "replayed");
    }

    @Test
    @Order(10)
    void aTransactionLargerThanThePeersAcceptIsAppliedNowhere() throws Exception {
        String key = run + "too-big";
        Reply r = DemoClient.put(node, key, "x".repeat(4096));
        System.out.println("PeerSecurityIT: 4 KiB write while peers accept 1 KiB answered " + r);
        assertThat(r.status()).as("4 KiB write while peers accept 1 KiB: %s", r).isBetween(400, 599);
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.read(n, key).status()).as("the refused write on %s", n.name).isEqualTo(404);
        }
    }

    @Test
    @Order(100)
    void afterAllOfThatTheDataIsUnchangedAndNothingIsInDoubt() throws Exception {
        assertThat(fullScan()).as("full scan of node %s before and after the attacks", node.name).isEqualTo(dataBefore);
        assertThat(DemoClient.balance(node, run + "acct")).isEqualTo(100);
        for (NodeProcess n : cluster.nodes()) {
            Reply ready = DemoClient.writesHealth(n);
            assertThat(ready.status()).as("readiness of %s: %s", n.name, ready).isEqualTo(200);
            JsonNode data = DemoClient.level2pcCheck(ready).path("data");
            assertThat(data.path("in-doubt").asInt(-1)).as("in-doubt on %s", n.name).isZero();
        }
        // and real peer traffic still flows
        assertThat(DemoClient.put(cluster.node(1), run + "after", "still replicating").status()).isEqualTo(204);
        assertThat(DemoClient.read(node, run + "after").body()).isEqualTo("still replicating");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static String fullScan() throws Exception {
        Reply r = DemoClient.scanRaw(node, null);
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    private static Map<String, String> clusterHeaders() {
        Map<String, String> h = new HashMap<>();
        h.put(PeerProtocol.HEADER_CLUSTER, "level-2pc");
        h.put(PeerProtocol.HEADER_PROTOCOL, Integer.toString(PeerProtocol.VERSION));
        return h;
    }

    /** Headers exactly as a peer sends them: cluster, protocol and the signature of {@code signer}. */
    private static Map<String, String> signed(PeerAuth signer, String op, byte[] body) {
        Map<String, String> h = clusterHeaders();
        h.putAll(signer.sign("POST", PeerProtocol.PATH_PREFIX + op, sender, node.name, body));
        return h;
    }

    private static Reply post(String op, byte[] body, Map<String, String> headers) throws IOException, InterruptedException {
        URI uri = node.uri(PeerProtocol.PATH_PREFIX + op);
        return DemoClient.send(uri, "POST", body, "application/octet-stream", headers, Duration.ofSeconds(15));
    }

    private static void assertError(Reply r, int status, String error, String detailContains) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        JsonNode j = r.json();
        assertThat(j.path("error").asText()).as("error of %s", r).isEqualTo(error);
        assertThat(j.path("detail").asText()).as("detail of %s", r).containsIgnoringCase(detailContains);
        assertThat(r.body()).as("no secret in %s", r).doesNotContain(cluster.secret);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static BranchId unknownBranch() {
        byte[] gtrid = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);
        return new BranchId(0x4c32, Bytes.wrap(gtrid), Bytes.wrap(new byte[] { 1 }));
    }

    /** The start of a well-formed prepare record that claims {@code count} writes but carries none. */
    private static byte[] validPrepareWithWriteCount(int count) throws IOException {
        byte[] good = Codec.encodePrepare(unknownBranch(),
                new TxWork(new TreeMap<>(), new HashMap<>(), sender));
        // format, branch, coordinator, then the write count: replace the count and cut the rest.
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        int countAt = good.length - 8; // write count (int) then read count (int), both 0
        bos.write(good, 0, countAt);
        new DataOutputStream(bos).writeInt(count);
        return bos.toByteArray();
    }
}
