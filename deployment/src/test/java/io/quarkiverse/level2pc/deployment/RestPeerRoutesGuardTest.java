package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.key;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.preparedOnDisk;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * What the peer routes refuse before anything reaches the node, and how {@link PeerClient} reports it:
 * calls without or with a wrong authentication (401), replays, other clusters and protocol versions
 * (412), bodies over {@code max-message-size} (413) and malformed bodies (400). None of them changes the
 * store.
 */
public class RestPeerRoutesGuardTest {

    static final String CLUSTER = "guarded";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class, FakeMember.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "guarded-node")
            .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            // The node the test plays: only a member's requests are served.
            .overrideConfigKey("quarkus.level-2pc.peers", FakeMember.address("coordinator-x", CLUSTER))
            .overrideConfigKey("quarkus.level-2pc.max-message-size", "1K")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(RestPeerRoutesGuardTest.class));

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final RestPeerTransport TRANSPORT = PeerTestSupport.rest(PeerTestSupport.SECRET, CLUSTER, null);

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;

    @TestHTTPResource("/")
    URL url;

    private URI peer() {
        return PeerTestSupport.base(url);
    }

    private static byte[] prepareBody(BranchId b, String key, String value) {
        return Codec.encodePrepare(b, write("coordinator-x", key, value));
    }

    /** A client of this node, blocking: its calls run on the caller's thread. As a node's, it said hello first. */
    private PeerClient client(PeerTransport transport) {
        PeerClient c = new PeerClient(transport, "coordinator-x", Runnable::run);
        c.hello(peer().toString(), false).exceptionally(e -> null).join();
        return c;
    }

    /** Prepares then commits {@code key=value} through signed raw requests; fails unless both answer 200. */
    private void writeThroughPeerCalls(String label, String key, String value) throws Exception {
        BranchId b = branch(label);
        byte[] prepare = prepareBody(b, key, value);
        assertThat(post(PeerProtocol.PREPARE, signed(PeerProtocol.PREPARE, prepare), prepare).statusCode()).isEqualTo(200);
        byte[] commit = Codec.encodeBranch(b);
        assertThat(post(PeerProtocol.COMMIT, signed(PeerProtocol.COMMIT, commit), commit).statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> post(String operation, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(peer().resolve(PeerProtocol.PATH_PREFIX + operation))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Cluster and protocol headers as RestPeerTransport sends them, without authentication. */
    private static Map<String, String> unsigned() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(PeerProtocol.HEADER_CLUSTER, CLUSTER);
        h.put(PeerProtocol.HEADER_PROTOCOL, Integer.toString(PeerProtocol.VERSION));
        return h;
    }

    /** Headers of a correctly signed request for {@code body}. */
    private static Map<String, String> signed(String operation, byte[] body) {
        Map<String, String> h = unsigned();
        h.putAll(new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30), Clock.systemUTC())
                .sign("POST", PeerProtocol.PATH_PREFIX + operation, "coordinator-x", "guarded-node", body));
        return h;
    }

    private void assertNothingPrepared(BranchId b) {
        assertThat(node.nodeIfOpen().local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(node.nodeIfOpen().local().store())).doesNotContain(b);
    }

    @Test
    void unauthenticatedCallsAreRefusedWith401AndChangeNothing() throws Exception {
        BranchId b = branch("unauthenticated");

        HttpResponse<String> prepare = post(PeerProtocol.PREPARE, unsigned(), Codec.encodePrepare(b, write("x", "unauth", "v")));
        HttpResponse<String> commit = post(PeerProtocol.COMMIT, unsigned(), Codec.encodeBranch(b));

        assertThat(prepare.statusCode()).isEqualTo(401);
        assertThat(prepare.body()).contains("\"error\":\"unauthorized\"").contains("missing authentication headers");
        assertThat(commit.statusCode()).isEqualTo(401);
        assertNothingPrepared(b);
        assertThat(node.nodeIfOpen().reads().read(key("unauth"))).isNull();
    }

    @Test
    void anUnsignedRequestIsRefusedBeforeItsBodyIsReadAndItsConnectionClosed() throws Exception {
        byte[] large = new byte[64 * 1024]; // max-message-size is 1K here: read, it would be a 413

        HttpResponse<String> r = post(PeerProtocol.PREPARE, unsigned(), large);

        assertThat(r.statusCode()).as("refused on its headers alone").isEqualTo(401);
        assertThat(r.body()).contains("missing authentication headers");
        assertThat(r.headers().firstValue("Connection")).hasValue("close");
        Map<String, String> stale = signed(PeerProtocol.PREPARE, large);
        stale.put(PeerProtocol.HEADER_DATE, Long.toString(System.currentTimeMillis() - Duration.ofMinutes(10).toMillis()));
        HttpResponse<String> old = post(PeerProtocol.PREPARE, stale, large);
        assertThat(old.statusCode()).isEqualTo(401);
        assertThat(old.body()).contains("replay window");
    }

    @Test
    void aCorrectlySignedRawRequestIsAccepted() throws Exception {
        // The baseline for the refusals around it: the same raw requests, signed, go through.
        writeThroughPeerCalls("signed-raw", "signed-raw", "v");
        assertThat(db.get("signed-raw")).isEqualTo("v");
    }

    @Test
    void aWrongSecretIsPeerUnavailableNamingTheClusterSecret() {
        PeerClient impostor = client(PeerTestSupport.rest("not-the-cluster-secret-0123", CLUSTER, null));
        BranchId b = branch("wrong-secret");

        assertThatThrownBy(() -> Futures.join(impostor.hello(peer().toString(), false)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("quarkus.level-2pc.cluster-secret")
                .hasMessageContaining("bad signature")
                .hasMessageNotContaining("not-the-cluster-secret-0123")
                .hasMessageNotContaining(PeerTestSupport.SECRET);
        assertThatThrownBy(() -> Futures.join(impostor.prepare(peer().toString(), b, write("coordinator-x", "wrong-secret", "v"))))
                .isInstanceOf(PeerUnavailableException.class);
        assertNothingPrepared(b);
        assertThat(db.get("wrong-secret")).isNull();
    }

    @Test
    void aTamperedBodyIsRefused() throws Exception {
        BranchId b = branch("tampered");
        byte[] signedFor = prepareBody(b, "tampered", "harmless");
        byte[] sent = prepareBody(b, "tampered", "EVIL!!!!");

        HttpResponse<String> r = post(PeerProtocol.PREPARE, signed(PeerProtocol.PREPARE, signedFor), sent);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("bad signature");
        assertNothingPrepared(b);
        assertThat(db.get("tampered")).isNull();
    }

    @Test
    void aReplayedRequestIsRefused() throws Exception {
        BranchId b = branch("replay");
        byte[] body = prepareBody(b, "replayed", "replayed-value");
        Map<String, String> headers = signed(PeerProtocol.PREPARE, body);
        assertThat(post(PeerProtocol.PREPARE, headers, body).statusCode()).isEqualTo(200);
        byte[] rollback = Codec.encodeBranch(b);
        assertThat(post(PeerProtocol.ROLLBACK, signed(PeerProtocol.ROLLBACK, rollback), rollback).statusCode()).isEqualTo(200);

        HttpResponse<String> replay = post(PeerProtocol.PREPARE, headers, body);

        assertThat(replay.statusCode()).isEqualTo(401);
        assertThat(replay.body()).contains("replayed request");
        assertNothingPrepared(b);
    }

    @Test
    void aRequestFromOutsideTheReplayWindowIsRefused() {
        PeerAuth lateClock = new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30),
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-5)));
        PeerClient late = client(new RestPeerTransport(lateClock, CLUSTER, Duration.ofSeconds(2), Duration.ofSeconds(10), null));

        assertThatThrownBy(() -> Futures.join(late.hello(peer().toString(), false)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("check the clocks");
    }

    @Test
    void anotherClusterIsRefusedWith412() {
        RestPeerTransport other = PeerTestSupport.rest(PeerTestSupport.SECRET, "other-cluster", null);

        assertThat(other.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.HELLO, new byte[0])).status()).isEqualTo(412);
        assertThatThrownBy(() -> Futures.join(client(other).hello(peer().toString(), false)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("cluster '" + CLUSTER + "'")
                .hasMessageContaining("'other-cluster'");
    }

    @Test
    void anotherProtocolVersionIsRefusedWith412() throws Exception {
        Map<String, String> headers = signed(PeerProtocol.HELLO, new byte[0]);
        headers.put(PeerProtocol.HEADER_PROTOCOL, Integer.toString(PeerProtocol.VERSION + 1));

        HttpResponse<String> r = post(PeerProtocol.HELLO, headers, new byte[0]);

        assertThat(r.statusCode()).isEqualTo(412);
        assertThat(r.body()).contains("other protocol version");
    }

    @Test
    void aBodyOverMaxMessageSizeIsRefusedWith413() {
        BranchId b = branch("oversized");
        String big = "x".repeat(2048);

        assertThat(TRANSPORT.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.PREPARE,
                Codec.encodePrepare(b, write("coordinator-x", "oversized", big)))).status()).isEqualTo(413);
        assertThatThrownBy(() -> Futures.join(client(TRANSPORT).prepare(peer().toString(), b, write("coordinator-x", "oversized", big))))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("413");
        assertNothingPrepared(b);
        // A body under the limit is fine.
        BranchId small = branch("small");
        assertThat(Futures.join(client(TRANSPORT).prepare(peer().toString(), small, write("coordinator-x", "small", "x".repeat(512)))))
                .isEqualTo(Vote.YES);
        Futures.join(client(TRANSPORT).rollback(peer().toString(), small));
    }

    @Test
    void aMalformedPrepareBodyIsRefusedWith400NamingTheProblem() {
        // Appends one byte to every body: the node must refuse it, not guess.
        PeerTransport trailingByte = (peer, request) -> TRANSPORT.send(peer, new PeerRequest(request.sender(), request.operation(),
                Arrays.copyOf(request.body(), request.body().length + 1), request.recipient()));
        BranchId b = branch("malformed");

        assertThatThrownBy(() -> Futures.join(client(trailingByte).prepare(peer().toString(), b, write("coordinator-x", "malformed", "v"))))
                .isInstanceOf(Level2pcException.class)
                .isNotInstanceOf(PeerUnavailableException.class)
                .isNotInstanceOf(ConflictException.class)
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("prepare record cannot be decoded")
                .hasMessageContaining("1 unexpected trailing bytes");
        assertNothingPrepared(b);
    }

    @Test
    void otherMalformedBodiesAreRefusedWith400() {
        var empty = TRANSPORT.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.PREPARE, new byte[0], "guarded-node"));
        var badPhase = TRANSPORT.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.COMMIT, new byte[] { 7, 0, 0 }, "guarded-node"));
        var badBatch = TRANSPORT.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.BATCH, new byte[] { 0, 0, 0, 9 }, "guarded-node"));
        var badBranch = TRANSPORT.send(peer(), new PeerRequest("coordinator-x", PeerProtocol.ROLLBACK, new byte[] { 0, 0 }, "guarded-node"));

        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.bodyText()).contains("empty body");
        assertThat(badPhase.status()).isEqualTo(400);
        assertThat(badPhase.bodyText()).contains("branch id cannot be decoded");
        assertThat(badBatch.status()).isEqualTo(400);
        assertThat(badBatch.bodyText()).contains("message batch cannot be decoded");
        assertThat(badBranch.status()).isEqualTo(400);
        assertThat(badBranch.bodyText()).contains("branch id cannot be decoded");
    }

    @Test
    void onlyPostIsAccepted() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(peer().resolve(PeerProtocol.PATH_PREFIX + PeerProtocol.HELLO))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
    }
}
