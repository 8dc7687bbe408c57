package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.key;
import static io.quarkiverse.level2pc.transport.TransportFixtures.utf8;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collector;
import java.util.stream.Collectors;

import org.iq80.leveldb.DB;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.WriteBatchImpl;
import org.iq80.leveldb.util.Slice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.node.TxCoordinator;
import io.quarkiverse.level2pc.node.WriteSet;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.TransportFixtures.ManualScheduler;
import io.quarkiverse.level2pc.transport.TransportFixtures.Served;

/**
 * The durability audit: a YES vote, a commit acknowledgement and a coordinator's commit leave a node only
 * after the LevelDB write that records them returned, and that write was synced. A {@code kill -9} cannot
 * show a missing fsync (the page cache survives a process crash), so this is checked on the writes
 * themselves: every write to LevelDB goes through a recording proxy that notes its sync flag, the keys it
 * puts and deletes, and when it returned, on one clock shared with the answers. Group commit merges
 * concurrent writes into one LevelDB write (synced if any of them must be); only the coordinator's
 * clearing of a decision once every peer acknowledged may go unsynced.
 */
class DurabilityAuditTest {

    /** One write to LevelDB as the proxy saw it. */
    record Write(String node, boolean sync, Set<Bytes> put, Set<Bytes> deleted, long returnedAt) {
        boolean puts(Predicate<Bytes> key) {
            return put.stream().anyMatch(key);
        }

        boolean deletes(Predicate<Bytes> key) {
            return deleted.stream().anyMatch(key);
        }
    }

    /** The stored key of every coordinator decision starts with this ('m' "decision/"). */
    private static final byte[] DECISION_PREFIX = "mdecision/".getBytes(StandardCharsets.UTF_8);

    private final AtomicLong clock = new AtomicLong();
    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch holdWrites;
    private volatile CountDownLatch writeEntered;
    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<Served> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() {
        open.forEach(Served::close);
    }

    private UnaryOperator<DB> recording(String node) {
        return db -> (DB) Proxy.newProxyInstance(DB.class.getClassLoader(), new Class<?>[] { DB.class }, (proxy, method, args) -> {
            if (!method.getName().equals("write") || args == null || args.length != 2) {
                return invoke(method, db, args);
            }
            boolean sync = ((WriteOptions) args[1]).sync();
            Set<Bytes> put = new HashSet<>();
            Set<Bytes> deleted = new HashSet<>();
            ((WriteBatchImpl) args[0]).forEach(new WriteBatchImpl.Handler() {
                @Override
                public void put(Slice key, Slice value) {
                    put.add(Bytes.wrap(key.getBytes()));
                }

                @Override
                public void delete(Slice key) {
                    deleted.add(Bytes.wrap(key.getBytes()));
                }
            });
            CountDownLatch hold = holdWrites;
            if (hold != null) {
                writeEntered.countDown();
                hold.await(30, TimeUnit.SECONDS);
            }
            Object result = invoke(method, db, args);
            writes.add(new Write(node, sync, put, deleted, clock.incrementAndGet()));
            return result;
        });
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private Served node(String name, PeerTransport transport) {
        NodeStore store = new NodeStore(LevelStore.open(dir.resolve(name), true, 100, recording(name)));
        Served s = TransportFixtures.serve(name, store, new PeerClient(transport, name, Runnable::run), scheduler);
        open.add(s);
        // The node-name claim is written without waiting for it (NodeStore.claimNodeName): a test that holds or
        // counts the writes that follow must not see it, so wait until it is done.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (writes.stream().noneMatch(w -> w.node().equals(name) && w.puts(k -> k.toString().endsWith("node-name")))) {
            assertThat(System.nanoTime()).as("the node-name claim of %s was written", name).isLessThan(deadline);
            Thread.onSpinWait();
        }
        return s;
    }

    private Served participant() {
        return node("audited", TransportFixtures.NOWHERE);
    }

    private static BranchId branch(int i) {
        return TransportFixtures.branch("audit-tx-" + i);
    }

    private static byte[] prepareBody(int i) {
        return Codec.encodePrepare(branch(i), write("coordinator", "key-" + i, "value-" + i));
    }

    private static byte[] commitBody(int i) {
        return Codec.encodeBranch(branch(i));
    }

    /** Handles a request; the future completes with the answer's time on the audit clock. */
    private CompletableFuture<Long> answeredAt(Served s, String operation, byte[] body, String expected) {
        return s.endpoint().handle(new PeerRequest("coordinator", operation, body)).thenApply(r -> {
            long at = clock.incrementAndGet();
            assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo(expected);
            return at;
        });
    }

    /** Whether a synced write matching {@code records} returned before {@code answeredAt}. */
    private boolean syncedBefore(long answeredAt, Predicate<Write> records) {
        return writes.stream().anyMatch(w -> w.sync() && w.returnedAt() < answeredAt && records.test(w));
    }

    @Test
    void everyVoteAndCommitAcknowledgementFollowsTheSyncedWriteThatRecordsIt() throws Exception {
        Served s = participant();
        int n = 40;
        // All prepares at once (a node answers without blocking: they are in flight together and group commit
        // merges their records), then all commits at once.
        List<CompletableFuture<Long>> votes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            votes.add(answeredAt(s, PeerProtocol.PREPARE, prepareBody(i), PeerProtocol.VOTE_YES));
        }
        CompletableFuture.allOf(votes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            acks.add(answeredAt(s, PeerProtocol.COMMIT, commitBody(i), PeerProtocol.DONE));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        for (int i = 0; i < n; i++) {
            Bytes record = Bytes.wrap(KeySpace.prepareKey(branch(i)));
            Bytes data = key("key-" + i);
            assertThat(syncedBefore(votes.get(i).join(), w -> w.put().contains(record)))
                    .as("YES vote of tx %d sent only after a synced write of its prepare record returned", i).isTrue();
            assertThat(syncedBefore(acks.get(i).join(), w -> w.deleted().contains(record) && w.put().contains(data)))
                    .as("commit ack of tx %d sent only after a synced write of its data and the record's removal", i).isTrue();
        }
        // Nothing that records a vote or a commit is ever written unsynced.
        assertThat(writes).allMatch(Write::sync);
    }

    @Test
    void theMessagesOfABatchAreEachAnsweredAfterTheirOwnSyncedWrite() throws Exception {
        Served s = participant();
        List<byte[]> prepares = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            prepares.add(frame(PeerProtocol.FRAME_PREPARE, prepareBody(i)));
        }
        long voted = answeredAtRaw(s, PeerProtocol.BATCH, Codec.encodeFrames(prepares));
        List<byte[]> commits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            commits.add(frame(PeerProtocol.FRAME_COMMIT, commitBody(i)));
        }
        long acked = answeredAtRaw(s, PeerProtocol.BATCH, Codec.encodeFrames(commits));

        for (int i = 0; i < 5; i++) {
            Bytes record = Bytes.wrap(KeySpace.prepareKey(branch(i)));
            Bytes data = key("key-" + i);
            assertThat(syncedBefore(voted, w -> w.put().contains(record))).as("prepare record of %d", i).isTrue();
            assertThat(syncedBefore(acked, w -> w.deleted().contains(record) && w.put().contains(data))).as("commit of %d", i)
                    .isTrue();
        }
        assertThat(writes).allMatch(Write::sync);
        assertThat(s.node().local().prepared()).isEmpty();
    }

    private long answeredAtRaw(Served s, String operation, byte[] body) throws Exception {
        PeerResponse r = s.endpoint().handle(new PeerRequest("coordinator", operation, body)).get(30, TimeUnit.SECONDS);
        long at = clock.incrementAndGet();
        assertThat(r.status()).isEqualTo(200);
        for (byte[] f : Codec.decodeFrames(r.body(), PeerBatcher.MAX_MESSAGES)) {
            assertThat((f[0] << 8) | (f[1] & 0xFF)).as(new String(f, StandardCharsets.UTF_8)).isEqualTo(200);
        }
        return at;
    }

    private static byte[] frame(byte op, byte[] body) {
        byte[] f = new byte[body.length + 1];
        f[0] = op;
        System.arraycopy(body, 0, f, 1, body.length);
        return f;
    }

    @Test
    void voteWaitsWhileItsWriteIsNotYetDurable() throws Exception {
        Served s = participant();
        writes.clear(); // the node-name claim at open
        holdWrites = new CountDownLatch(1);
        writeEntered = new CountDownLatch(1);
        CompletableFuture<PeerResponse> vote = s.endpoint().handle(new PeerRequest("coordinator", PeerProtocol.PREPARE, prepareBody(1)));
        assertThat(writeEntered.await(30, TimeUnit.SECONDS)).isTrue();
        // The prepare record's write has started but not returned: no vote may have been produced.
        assertThat(vote).isNotDone();
        assertThat(writes).isEmpty();
        // Not voted yet, so not in doubt: nobody may resolve it (it holds its locks, though).
        assertThat(s.node().local().prepared()).containsExactly(branch(1));
        assertThat(s.node().local().inDoubt()).isEmpty();
        // A duplicate commit arriving now waits for the record instead of failing or overtaking it.
        CompletableFuture<PeerResponse> commit = s.endpoint().handle(new PeerRequest("coordinator", PeerProtocol.COMMIT, commitBody(1)));
        assertThat(commit).isNotDone();
        holdWrites.countDown();
        assertThat(vote.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(commit.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo(PeerProtocol.DONE);
        assertThat(writes).hasSize(2).allMatch(Write::sync);
        assertThat(s.node().local().prepared()).isEmpty();
    }

    /** Hands each request to the endpoint registered for its peer, copying bodies as the wire would. */
    private static final class InMemory implements PeerTransport {
        volatile PeerEndpoint endpoint;

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            return sendAsync(peer, request, Runnable::run).join();
        }

        @Override
        public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
            return endpoint.handle(new PeerRequest(request.sender(), request.operation(), request.body().clone()))
                    .thenApply(r -> new PeerResponse(r.status(), r.body().clone()));
        }
    }

    @Test
    void aCoordinatorsDecisionIsSyncedWithItsOwnCommitAndClearedUnsyncedOnceThePeerAcknowledged() throws Exception {
        InMemory network = new InMemory();
        Served coordinator = node("coordinator", network);
        Served participant = participant();
        network.endpoint = participant.endpoint();
        String peer = "http://participant:8080";
        writes.clear(); // the node-name claims at open

        coordinator.node().coordinator().run(write("coordinator", "x", "1"), () -> WriteSet.everyPeer(List.of(peer)),
                Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        long committedAt = clock.incrementAndGet();
        // Settings.waitForPeerCommits: done once the peer acknowledged, when the decision's clearing was submitted.
        assertThat(coordinator.node().coordinator().pendingDecisions()).isZero();
        coordinator.close(); // writes already submitted finish first
        participant.close();

        List<Write> onCoordinator = writes.stream().filter(w -> w.node().equals("coordinator")).toList();
        List<Write> onParticipant = writes.stream().filter(w -> w.node().equals("audited")).toList();
        Predicate<Bytes> decision = k -> startsWith(k, DECISION_PREFIX);
        Predicate<Bytes> record = k -> k.unsafeArray()[0] == KeySpace.PREPARE;
        // The participant: its prepare record synced before anything was decided, its commit synced.
        Write prepared = onParticipant.stream().filter(w -> w.puts(record)).findFirst().orElseThrow();
        assertThat(prepared.sync()).isTrue();
        Write participantCommit = onParticipant.stream().filter(w -> w.deletes(record)).findFirst().orElseThrow();
        assertThat(participantCommit.sync()).isTrue();
        assertThat(participantCommit.put()).contains(key("x"));
        // The coordinator: no prepare record for its own branch; its data and the decision in ONE synced write,
        // after the vote, before the caller was answered.
        assertThat(onCoordinator).noneMatch(w -> w.puts(record));
        Write decided = onCoordinator.stream().filter(w -> w.puts(decision)).collect(single());
        assertThat(decided.sync()).isTrue();
        assertThat(decided.put()).contains(key("x"));
        assertThat(decided.returnedAt()).isGreaterThan(prepared.returnedAt()).isLessThan(committedAt);
        // Cleared once the peer acknowledged (its commit durable there), not synced: a decision that comes back
        // after a crash only sends a commit again, answered "unknown branch".
        Write cleared = onCoordinator.stream().filter(w -> w.deletes(decision)).collect(single());
        assertThat(cleared.sync()).isFalse();
        assertThat(cleared.returnedAt()).isGreaterThan(participantCommit.returnedAt());
        assertThat(onCoordinator).filteredOn(w -> w != cleared).allMatch(Write::sync);
        assertThat(reopened("coordinator", "x")).isEqualTo(utf8("1"));
        assertThat(reopened("audited", "x")).isEqualTo(utf8("1"));
    }

    /** The committed value of {@code userKey} in the store of {@code node}, read again from disk. */
    private byte[] reopened(String node, String userKey) {
        try (NodeStore store = new NodeStore(LevelStore.open(dir.resolve(node), true, 100))) {
            assertThat(store.loadDecisions()).as("no decision left on %s", node).isEmpty();
            assertThat(store.loadPrepared()).as("no prepare record left on %s", node).isEmpty();
            return store.get(key(userKey)).value();
        }
    }

    private static boolean startsWith(Bytes key, byte[] prefix) {
        byte[] k = key.unsafeArray();
        if (k.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (k[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static Collector<Write, ?, Write> single() {
        return Collectors.collectingAndThen(Collectors.toList(), l -> {
            assertThat(l).hasSize(1);
            return l.get(0);
        });
    }
}
