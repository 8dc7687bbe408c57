package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.TransportFixtures.ManualScheduler;
import io.quarkiverse.level2pc.transport.TransportFixtures.Served;

/**
 * Only members get in: node {@code a}, whose peers are the addresses {@value #B} and {@value #C}, serves a request
 * only if its sender is the name one of them answers hellos as. A correctly signed request under another name is
 * refused (403) before it has any effect; a sender not known yet makes {@code a} ask its peers their names first.
 */
class MembershipTest {

    private static final String B = "mem://b";
    private static final String C = "mem://c";

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<Served> nodes = new ArrayList<>();
    private final Network network = new Network();
    private final AtomicLong nanos = new AtomicLong();
    private final List<String> promised = new ArrayList<>();
    private final List<String> heardFrom = new ArrayList<>();
    private PeerClient client;
    private Served a;
    private Served c;

    @AfterEach
    void close() {
        nodes.forEach(Served::close);
    }

    private Served open(String name) {
        Served s = TransportFixtures.serve(name, new NodeStore(LevelStore.open(dir.resolve(name), true, 100)), scheduler);
        nodes.add(s);
        return s;
    }

    /** Node a with its peers b and c up at their addresses, and the membership check on. */
    private void startCluster() {
        network.at(B, open("b").endpoint());
        c = open("c");
        network.at(C, c.endpoint());
        a = open("a");
        client = new PeerClient(network, "a", Runnable::run);
        a.endpoint().members(new Membership("a", List.of(B, C), client, nanos::get, Duration.ofSeconds(1)), Runnable::run);
        a.endpoint().quorumMode(promised::add, () -> true);
        a.endpoint().onHello(heardFrom::add);
    }

    private PeerResponse send(String sender, String operation, byte[] body) {
        return a.endpoint().handle(new PeerRequest(sender, operation, body)).orTimeout(30, TimeUnit.SECONDS).join();
    }

    private PeerResponse prepare(String sender, BranchId id) {
        return send(sender, PeerProtocol.PREPARE, Codec.encodePrepare(id, write(sender, "k-" + id.gtrid(), "v")));
    }

    @Test
    void aSignedHelloPrepareOrBatchFromANonMemberIsRefusedAndChangesNothing() {
        startCluster();
        BranchId id = branch("from-x");

        PeerResponse hello = send("x", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE);
        PeerResponse prepare = prepare("x", id);
        PeerResponse batch = send("x", PeerProtocol.BATCH, Codec.encodeFrames(List.of(frame('p', Codec.encodePrepare(id,
                write("x", "k", "v"))))));
        PeerResponse recover = send("x", PeerProtocol.RECOVER, new byte[0]);

        for (PeerResponse r : List.of(hello, prepare, batch, recover)) {
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.bodyText()).contains("\"error\":\"not a member\"")
                    .contains("node 'x' is not among the peers of node 'a'")
                    .contains("quarkus.level-2pc.peers").contains(B + " ('b')").contains(C + " ('c')");
        }
        assertThat(promised).as("no promise recorded").isEmpty();
        assertThat(heardFrom).isEmpty();
        assertThat(a.node().local().prepared()).as("no branch").isEmpty();
        assertThat(a.node().local().store().loadPrepared()).as("nothing on disk").isEmpty();
        assertThat(network.nameQueries.get()).as("one round asked both peers, then x was remembered").isEqualTo(2);
    }

    @Test
    void theSameRequestsFromAMemberAreServed() {
        startCluster();
        BranchId id = branch("from-b");

        assertThat(send("b", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE).status()).isEqualTo(200);
        assertThat(prepare("b", id).bodyText()).isEqualTo(PeerProtocol.VOTE_YES);

        assertThat(promised).containsExactly("b");
        assertThat(heardFrom).containsExactly("b");
        assertThat(a.node().local().prepared()).containsExactly(id);
        assertThat(client.nameOf(B)).as("learned by asking, at b's first request").isEqualTo("b");
    }

    @Test
    void thisNodesOwnNameIsRefusedWithoutAskingAnyone() {
        startCluster();

        PeerResponse r = send("a", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE);

        assertThat(r.status()).isEqualTo(403);
        assertThat(r.bodyText()).contains("node 'a'").contains("this node's own name").contains("quarkus.level-2pc.node-name");
        assertThat(promised).isEmpty();
        assertThat(network.nameQueries.get()).isZero();
    }

    @Test
    void aNameQueryIsAnsweredToAnyAuthenticCallerAndChangesNothing() {
        startCluster();

        PeerResponse r = send("x", PeerProtocol.HELLO, PeerProtocol.ASK_NAME);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).contains("\"node\":\"a\"");
        assertThat(promised).isEmpty();
        assertThat(heardFrom).isEmpty();
        assertThat(network.nameQueries.get()).as("asked nobody").isZero();
    }

    @Test
    void whileAPeerCannotBeAskedItsNameAnUnknownSenderIsRetryableAndAMemberThatAnswersGetsIn() {
        startCluster();
        network.down(C);

        PeerResponse fromX = prepare("x", branch("x-while-c-down"));
        PeerResponse fromB = prepare("b", branch("b-while-c-down"));

        assertThat(fromX.status()).isEqualTo(503);
        assertThat(fromX.bodyText()).contains("\"error\":\"unknown sender\"").contains("node 'x'").contains(C)
                .contains("quarkus.level-2pc.peers").contains("retry");
        assertThatRetryable(fromX);
        assertThat(fromB.bodyText()).as("b answered with its name: c's silence does not matter").isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(a.node().local().prepared()).containsExactly(branch("b-while-c-down"));

        network.up(C, c.endpoint());
        assertThat(prepare("x", branch("x-after")).status()).as("asked again: every peer answers now").isEqualTo(403);
    }

    private static void assertThatRetryable(PeerResponse r) {
        try {
            PeerClient.check(B, PeerProtocol.PREPARE, r);
        } catch (PeerUnavailableException e) {
            assertThat(e.isRetryable()).isTrue();
            return;
        }
        throw new AssertionError("not refused: " + r.bodyText());
    }

    @Test
    void concurrentUnknownSendersShareOneRoundAndARefusalIsRememberedForAWhile() {
        startCluster();
        network.holdNameQueries = true;

        List<CompletableFuture<PeerResponse>> answers = new ArrayList<>();
        for (String sender : List.of("x", "y", "b", "x")) {
            answers.add(a.endpoint().handle(new PeerRequest(sender, PeerProtocol.HELLO, PeerProtocol.ASK_LEASE)));
        }
        assertThat(answers).noneMatch(CompletableFuture::isDone);
        assertThat(network.nameQueries.get()).as("one round: one name query per peer").isEqualTo(2);
        network.release();

        assertThat(answers).extracting(f -> f.join().status()).containsExactly(403, 403, 200, 403);
        assertThat(promised).containsExactly("b");

        assertThat(send("x", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE).status()).isEqualTo(403);
        assertThat(network.nameQueries.get()).as("refused again without asking").isEqualTo(2);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(send("x", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE).status()).isEqualTo(403);
        assertThat(network.nameQueries.get()).as("asked again once the refusal is old").isEqualTo(4);
    }

    @Test
    void aPeerRenamedAtItsAddressIsLearnedWhenItsNewNameCalls() {
        startCluster();
        assertThat(send("b", PeerProtocol.HELLO, new byte[0]).status()).isEqualTo(200);
        assertThat(client.nameOf(B)).isEqualTo("b");

        // Another node now answers at b's address (its data directory and name replaced).
        network.up(B, open("b2").endpoint());

        assertThat(prepare("b2", branch("from-b2")).bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(client.nameOf(B)).isEqualTo("b2");
        assertThat(prepare("b", branch("from-old-b")).status()).as("the old name is no member any more").isEqualTo(403);
    }

    @Test
    void aBlockingOperationThatWaitedForTheDecisionGoesOnOnTheBlockingExecutor() {
        network.at(B, open("b").endpoint());
        network.at(C, open("c").endpoint());
        a = open("a");
        client = new PeerClient(network, "a", Runnable::run);
        AtomicInteger handedOver = new AtomicInteger();
        Executor blocking = task -> {
            handedOver.incrementAndGet();
            task.run();
        };
        a.endpoint().members(new Membership("a", List.of(B, C), client, nanos::get, Duration.ofSeconds(1)), blocking);
        network.holdNameQueries = true;

        CompletableFuture<PeerResponse> recover = a.endpoint().handle(new PeerRequest("b", PeerProtocol.RECOVER, new byte[0]));
        network.release();

        assertThat(recover.join().status()).isEqualTo(200);
        assertThat(handedOver.get()).isEqualTo(1);
        assertThat(send("b", PeerProtocol.RECOVER, new byte[0]).status()).isEqualTo(200);
        assertThat(handedOver.get()).as("admitted at once: stays on the caller's thread").isEqualTo(1);
    }

    @Test
    void aNodeWithoutPeersHasNoMembers() {
        a = open("a");
        a.endpoint().members(new Membership("a", List.of(), new PeerClient(network, "a", Runnable::run), nanos::get,
                Duration.ofSeconds(1)), Runnable::run);

        PeerResponse r = send("b", PeerProtocol.HELLO, new byte[0]);

        assertThat(r.status()).isEqualTo(403);
        assertThat(r.bodyText()).contains("node 'b' is not among the peers of node 'a'").contains("quarkus.level-2pc.peers: none");
    }

    private static byte[] frame(char op, byte[] body) {
        byte[] f = new byte[body.length + 1];
        f[0] = (byte) op;
        System.arraycopy(body, 0, f, 1, body.length);
        return f;
    }

    /** Endpoints by address; an address without one is down. Name queries can be held back and released at once. */
    private static final class Network implements PeerTransport {
        final Map<String, PeerEndpoint> endpoints = new ConcurrentHashMap<>();
        final AtomicInteger nameQueries = new AtomicInteger();
        final List<Runnable> held = new ArrayList<>();
        volatile boolean holdNameQueries;

        void at(String address, PeerEndpoint e) {
            endpoints.put(address, e);
        }

        void up(String address, PeerEndpoint e) {
            at(address, e);
        }

        void down(String address) {
            endpoints.remove(address);
        }

        synchronized void release() {
            holdNameQueries = false;
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            return sendAsync(peer, request, Runnable::run).join();
        }

        @Override
        public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
            boolean nameQuery = PeerProtocol.HELLO.equals(request.operation())
                    && new String(request.body()).equals("name");
            if (nameQuery) {
                nameQueries.incrementAndGet();
                assertThat(request.recipient()).as("a name query names no recipient").isNull();
            }
            PeerEndpoint e = endpoints.get(peer.toString());
            if (e == null) {
                return CompletableFuture.failedFuture(new PeerUnavailableException("peer " + peer + " is down"));
            }
            if (nameQuery && holdNameQueries) {
                CompletableFuture<PeerResponse> later = new CompletableFuture<>();
                synchronized (this) {
                    held.add(() -> e.handle(request).whenComplete((r, t) -> later.complete(r)));
                }
                return later;
            }
            return e.handle(request);
        }
    }
}
