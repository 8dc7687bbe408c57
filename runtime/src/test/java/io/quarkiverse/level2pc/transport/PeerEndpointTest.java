package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.key;
import static io.quarkiverse.level2pc.transport.TransportFixtures.quorumWrite;
import static io.quarkiverse.level2pc.transport.TransportFixtures.utf8;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.QuorumLease;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.PromiseRefusalException;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.storage.MemoryStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.TransportFixtures.ManualScheduler;
import io.quarkiverse.level2pc.transport.TransportFixtures.Served;

/**
 * The participant side of the protocol over a real node (in memory): the {@code batch} operation answers
 * each message as if it came alone, in order; the phase operations are the ones that may run on an event
 * loop; a node that is not open answers "not ready"; quorum-mode and heuristic refusals reach a
 * {@link PeerClient} as what they mean.
 */
class PeerEndpointTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<Served> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.forEach(Served::close);
    }

    private Served open(String name) {
        Served s = TransportFixtures.serve(name, new NodeStore(MemoryStore.immediate(name)), scheduler);
        nodes.add(s);
        return s;
    }

    private static PeerRequest request(String operation, byte[] body) {
        return new PeerRequest("a", operation, body);
    }

    private static byte[] frame(byte op, byte[] body) {
        byte[] f = new byte[body.length + 1];
        f[0] = op;
        System.arraycopy(body, 0, f, 1, body.length);
        return f;
    }

    private static TxWork prioritized(String key, long priority) {
        return write("a", key, "v-" + priority).withPriority(priority);
    }

    /** Branches prepared before the batch, on each node that takes the messages. */
    private static void prepareBefore(Served s) {
        assertThat(s.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(branch("to-commit"), write("a", "c", "1")))).status())
                .isEqualTo(200);
        assertThat(s.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(branch("to-roll-back"), write("a", "r", "1")))).status())
                .isEqualTo(200);
    }

    /** The messages of one batch: (operation byte, body), in order. */
    private static List<byte[]> messages() {
        return List.of(
                frame(PeerProtocol.FRAME_PREPARE, Codec.encodePrepare(branch("older"), prioritized("k", 1))),
                // younger than the holder of k: votes NO (wait-die), as it would alone after "older"
                frame(PeerProtocol.FRAME_PREPARE, Codec.encodePrepare(branch("younger"), prioritized("k", 2))),
                frame(PeerProtocol.FRAME_COMMIT, Codec.encodeBranch(branch("to-commit"))),
                frame(PeerProtocol.FRAME_ROLLBACK, Codec.encodeBranch(branch("to-roll-back"))),
                frame(PeerProtocol.FRAME_COMMIT, Codec.encodeBranch(branch("never-prepared"))),
                frame((byte) 'x', Codec.encodeBranch(branch("what"))),
                frame(PeerProtocol.FRAME_PREPARE, new byte[0]),
                frame(PeerProtocol.FRAME_ROLLBACK, new byte[] { 1, 2 }));
    }

    @Test
    void aBatchIsAnsweredOneFramePerMessageInOrderEachAsIfSentAlone() {
        Served batched = open("b");
        Served alone = open("b"); // a twin, same name: the same messages one request each
        prepareBefore(batched);
        prepareBefore(alone);
        List<byte[]> messages = messages();

        PeerResponse r = batched.handle(request(PeerProtocol.BATCH, Codec.encodeFrames(messages)));

        assertThat(r.status()).isEqualTo(200);
        List<byte[]> frames = Codec.decodeFrames(r.body(), PeerBatcher.MAX_MESSAGES);
        assertThat(frames).hasSize(messages.size());
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            byte[] m = messages.get(i);
            byte[] f = frames.get(i);
            int status = ((f[0] & 0xFF) << 8) | (f[1] & 0xFF);
            statuses.add(status);
            String op = PeerBatcher.operationOf(m[0]);
            if (op == null) {
                assertThat(status).as("frame %d: unknown op byte", i).isEqualTo(400);
                assertThat(new String(f, 2, f.length - 2)).contains("must start with 'p', 'c' or 'r'");
                continue;
            }
            PeerResponse single = alone.handle(request(op, Arrays.copyOfRange(m, 1, m.length)));
            assertThat(status).as("frame %d status", i).isEqualTo(single.status());
            assertThat(Arrays.copyOfRange(f, 2, f.length)).as("frame %d body", i).isEqualTo(single.body());
        }
        assertThat(statuses).containsExactly(200, 409, 200, 200, 404, 400, 400, 400);
        assertThat(new String(frames.get(0), 2, frames.get(0).length - 2)).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(new String(frames.get(1), 2, frames.get(1).length - 2)).contains("\"error\":\"conflict\"");
        assertThat(new String(frames.get(4), 2, frames.get(4).length - 2)).contains("unknown branch");
        // What the batch did: it committed, rolled back and prepared as the lone messages did.
        assertThat(batched.node().local().prepared()).containsExactly(branch("older"));
        assertThat(batched.node().reads().read(key("c")).value()).isEqualTo(utf8("1"));
        assertThat(batched.node().reads().read(key("r"))).isNull();
    }

    @Test
    void aPrepareAmongOthersThatWouldWaitForALockIsAnswered423WithNothingLockedAndWaitsWhenItComesAlone() {
        Served b = open("b");
        assertThat(b.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(branch("young-holder"), prioritized("w", 5))))
                .status()).isEqualTo(200);
        byte[] old = Codec.encodePrepare(branch("old"), prioritized("w", 1));
        List<byte[]> messages = List.of(frame(PeerProtocol.FRAME_PREPARE, old),
                frame(PeerProtocol.FRAME_PREPARE, Codec.encodePrepare(branch("free"), prioritized("f", 3))));

        PeerResponse r = b.handle(request(PeerProtocol.BATCH, Codec.encodeFrames(messages)));

        List<byte[]> frames = Codec.decodeFrames(r.body(), PeerBatcher.MAX_MESSAGES);
        assertThat(((frames.get(0)[0] & 0xFF) << 8) | (frames.get(0)[1] & 0xFF)).as("the older prepare would wait (wait-die)")
                .isEqualTo(PeerProtocol.WAIT_ALONE);
        assertThat(new String(frames.get(0), 2, frames.get(0).length - 2)).contains("wait alone").contains(branch("young-holder").toString());
        assertThat(new String(frames.get(1), 2, frames.get(1).length - 2)).as("the other is not held up")
                .isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(b.node().local().prepared()).as("nothing of the refused one").containsExactlyInAnyOrder(branch("young-holder"),
                branch("free"));

        CompletableFuture<PeerResponse> aloneInABatch = b.endpoint()
                .handle(request(PeerProtocol.BATCH, Codec.encodeFrames(List.of(frame(PeerProtocol.FRAME_PREPARE, old)))));
        CompletableFuture<PeerResponse> alone = b.endpoint().handle(request(PeerProtocol.PREPARE, old));
        assertThat(aloneInABatch).as("a batch of one may wait").isNotDone();
        assertThat(alone).as("so may a lone request").isNotDone();
        assertThat(b.handle(request(PeerProtocol.ROLLBACK, Codec.encodeBranch(branch("young-holder")))).status()).isEqualTo(200);
        assertThat(alone.orTimeout(30, TimeUnit.SECONDS).join().bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(aloneInABatch.orTimeout(30, TimeUnit.SECONDS).join().status()).isEqualTo(200);
    }

    @Test
    void aMalformedBatchIsRefusedWith400AndChangesNothing() {
        Served s = open("b");
        byte[] oneFrame = Codec.encodeFrames(List.of(frame(PeerProtocol.FRAME_PREPARE,
                Codec.encodePrepare(branch("x"), write("a", "x", "1")))));

        PeerResponse truncated = s.handle(request(PeerProtocol.BATCH, Arrays.copyOf(oneFrame, oneFrame.length - 3)));
        PeerResponse empty = s.handle(request(PeerProtocol.BATCH, new byte[0]));
        List<byte[]> tooMany = new ArrayList<>();
        for (int i = 0; i <= PeerBatcher.MAX_MESSAGES; i++) {
            tooMany.add(frame(PeerProtocol.FRAME_COMMIT, Codec.encodeBranch(branch("m" + i))));
        }
        PeerResponse overLimit = s.handle(request(PeerProtocol.BATCH, Codec.encodeFrames(tooMany)));

        assertThat(List.of(truncated, empty, overLimit)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.bodyText()).contains("malformed request");
        });
        assertThat(overLimit.bodyText()).contains("at most " + PeerBatcher.MAX_MESSAGES);
        assertThat(s.node().local().prepared()).isEmpty();
    }

    @Test
    void onlyTheOperationsThatNeverBlockMayRunOnAnEventLoop() {
        for (String op : List.of(PeerProtocol.HELLO, PeerProtocol.PREPARE, PeerProtocol.COMMIT, PeerProtocol.ROLLBACK,
                PeerProtocol.BATCH)) {
            assertThat(PeerEndpoint.isBlocking(op)).as(op).isFalse();
        }
        for (String op : List.of(PeerProtocol.RECOVER, PeerProtocol.OUTCOME, PeerProtocol.CATCH_UP, PeerProtocol.CAUGHT_UP,
                PeerProtocol.BRANCH_STATE, "frobnicate")) {
            assertThat(PeerEndpoint.isBlocking(op)).as(op).isTrue();
        }
    }

    @Test
    void aNodeThatIsNotOpenIsNotReady() {
        PeerEndpoint beforeStartup = new PeerEndpoint(() -> null, "b", TransportFixtures.CLUSTER);

        PeerResponse hello = beforeStartup.handle(request(PeerProtocol.HELLO, new byte[0])).join();
        PeerResponse prepare = beforeStartup.handle(request(PeerProtocol.PREPARE,
                Codec.encodePrepare(branch("early"), write("a", "k", "v")))).join();

        assertThat(List.of(hello, prepare)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.bodyText()).contains("\"error\":\"not ready\"").contains("node 'b' is not open");
        });
        assertThatThrownBy(() -> Futures.join(new PeerClient(new Direct(beforeStartup), "a", Runnable::run).hello("mem://b", false)))
                .isExactlyInstanceOf(NotReadyException.class);

        Served closed = open("c");
        closed.close();
        assertThat(closed.handle(request(PeerProtocol.HELLO, new byte[0])).status()).as("after shutdown").isEqualTo(503);
    }

    @Test
    void anUnknownOperationIs404() {
        PeerResponse r = open("b").handle(request("frobnicate", new byte[0]));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.bodyText()).contains("unknown operation").contains("frobnicate");
    }

    /** An authenticated peer still cannot reach the node's own keys (its name, prepare records, decisions). */
    @Test
    void aPrepareThatTouchesAnythingButDataKeysIsMalformedAndChangesNothing() {
        Served s = open("b");
        byte[] before = s.node().local().store().store().get("mnode-name".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Bytes nodeNameKey = Bytes.wrap("mnode-name".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.util.TreeMap<Bytes, byte[]> writes = new java.util.TreeMap<>();
        writes.put(nodeNameKey, utf8("mallory"));
        java.util.TreeMap<Bytes, byte[]> withData = new java.util.TreeMap<>(writes);
        withData.put(TransportFixtures.key("k"), utf8("v"));

        for (TxWork work : List.of(new TxWork(writes, Map.of(), "a"), new TxWork(withData, Map.of(), "a"),
                new TxWork(new java.util.TreeMap<>(Map.of(TransportFixtures.key("k"), utf8("v"))), Map.of(nodeNameKey, Bytes.wrap(new byte[0])),
                        "a"))) {
            PeerResponse r = s.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(branch("intruder"), work)));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.bodyText()).contains("malformed request").contains("not a data key");
        }
        assertThat(s.node().local().prepared()).as("nothing locked or written").isEmpty();
        assertThat(s.node().local().store().store().get("mnode-name".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as("the node's name as it claimed it").isEqualTo(before).isNotNull();
        assertThat(s.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(branch("honest"), write("a", "k", "v")))).status())
                .as("the data key was not left locked").isEqualTo(200);
    }

    @Test
    void aPromiseRefusalReachesTheCoordinatorWithWhenToRetry() {
        Served s = open("b");
        s.node().local().prepareGuard(w -> new QuorumLease.Refusal(QuorumLease.Refusal.Kind.PROMISED, "promised node c", 700));
        BranchId id = branch("refused");
        TxWork work = quorumWrite("q", "1", 5, List.of("a", "b"), 1, "a");

        PeerResponse r = s.handle(request(PeerProtocol.PREPARE, Codec.encodePrepare(id, work)));

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.bodyText()).contains("\"error\":\"promised\"").contains("\"retryAfterMillis\":700");
        assertThatThrownBy(() -> Futures.join(new PeerClient(new Direct(s.endpoint()), "a", Runnable::run).prepare("mem://b", id, work)))
                .isInstanceOf(PromiseRefusalException.class)
                .satisfies(e -> assertThat(((PromiseRefusalException) e).retryAfterMillis()).isEqualTo(700));
        assertThat(s.node().local().prepared()).as("nothing locked or written").isEmpty();
    }

    @Test
    void aCommitOfABranchAnOperatorRolledBackIsAHeuristicOutcome() {
        Served s = open("b");
        PeerClient client = new PeerClient(new Direct(s.endpoint()), "a", Runnable::run);
        BranchId id = branch("decided-by-hand");
        assertThat(Futures.join(client.prepare("mem://b", id, write("a", "h", "1")))).isEqualTo(Vote.YES);
        Futures.join(s.node().heuristics().decideHeuristically(id, false));

        assertThatThrownBy(() -> Futures.join(client.commit("mem://b", id)))
                .isExactlyInstanceOf(PeerLink.HeuristicOutcome.class)
                .hasMessageContaining("rolled back by an operator")
                .satisfies(e -> assertThat(((PeerLink.HeuristicOutcome) e).committed()).isFalse());
        assertThat(Futures.join(client.rollback("mem://b", id))).as("the same decision is done")
                .isEqualTo(Completion.DONE);
    }

    /** A transport that hands each request straight to one endpoint. */
    private record Direct(PeerEndpoint endpoint) implements PeerTransport {
        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            return endpoint.handle(request).join();
        }

        @Override
        public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
            return endpoint.handle(request);
        }
    }
}
