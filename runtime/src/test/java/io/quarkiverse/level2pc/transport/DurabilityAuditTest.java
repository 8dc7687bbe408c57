package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.iq80.leveldb.DB;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.WriteBatchImpl;
import org.iq80.leveldb.util.Slice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.LevelStore;

/**
 * The durability audit: a YES vote and a commit acknowledgement leave the participant only after the
 * LevelDB write that records them returned, and that write was synced. A {@code kill -9} cannot show
 * a missing fsync (the page cache survives a process crash), so this is checked on the writes
 * themselves: every write to LevelDB goes through a recording proxy that notes its sync flag, the
 * prepare records it adds and removes, and when it returned, on one clock shared with the answers.
 */
class DurabilityAuditTest {

    /** One write to LevelDB as the proxy saw it. */
    record Write(boolean sync, Set<Bytes> put, Set<Bytes> deleted, long returnedAt) {
    }

    private final AtomicLong clock = new AtomicLong();
    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch holdWrites;
    private volatile CountDownLatch writeEntered;
    private final List<AutoCloseable> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private DB recording(DB db) {
        return (DB) Proxy.newProxyInstance(DB.class.getClassLoader(), new Class<?>[] { DB.class }, (proxy, method, args) -> {
            if (!method.getName().equals("write") || args == null || args.length != 2) {
                return invoke(method, db, args);
            }
            WriteBatch batch = (WriteBatch) args[0];
            boolean sync = ((WriteOptions) args[1]).sync();
            Set<Bytes> put = new HashSet<>();
            Set<Bytes> deleted = new HashSet<>();
            ((WriteBatchImpl) batch).forEach(new WriteBatchImpl.Handler() {
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
            writes.add(new Write(sync, put, deleted, clock.incrementAndGet()));
            return result;
        });
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private LocalNode node;

    private PeerEndpoint endpoint() {
        LevelStore store = LevelStore.open(dir, true, 100, this::recording);
        LocalNode node = LocalNode.open(store, "audited", Duration.ofSeconds(5));
        this.node = node;
        open.add(node);
        return new PeerEndpoint(() -> node, "audited", "level-2pc", b -> "NOT_COORDINATOR");
    }

    private static BranchId branch(int i) {
        return new BranchId(131077, Bytes.utf8("audit-tx-" + i), Bytes.utf8("bq"));
    }

    private static byte[] prepareBody(int i) {
        Bytes key = KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), ("key-" + i).getBytes(StandardCharsets.UTF_8));
        return Codec.encodePrepare(branch(i), work().put(key, ("value-" + i).getBytes(StandardCharsets.UTF_8))
                .coordinator("coordinator").build());
    }

    private static byte[] commitBody(int i) {
        byte[] b = Codec.encodeBranch(branch(i));
        return ByteBuffer.allocate(1 + b.length).put((byte) 0).put(b).array();
    }

    /** The synced write that recorded what an answer at {@code answeredAt} acknowledges, if it returned before. */
    private boolean syncedBefore(long answeredAt, java.util.function.Predicate<Write> records) {
        return writes.stream().anyMatch(w -> w.sync() && w.returnedAt() < answeredAt && records.test(w));
    }

    @Test
    void everyVoteAndCommitAcknowledgementFollowsTheSyncedWriteThatRecordsIt() throws Exception {
        PeerEndpoint endpoint = endpoint();
        int n = 40;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int tx = i;
                results.add(pool.submit(() -> {
                    PeerResponse vote = endpoint.handle(new PeerRequest("coordinator", PeerProtocol.PREPARE, prepareBody(tx)));
                    long votedAt = clock.incrementAndGet();
                    assertThat(vote.status()).isEqualTo(200);
                    assertThat(vote.bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
                    PeerResponse ack = endpoint.handle(new PeerRequest("coordinator", PeerProtocol.COMMIT, commitBody(tx)));
                    long ackedAt = clock.incrementAndGet();
                    assertThat(ack.status()).isEqualTo(200);
                    return new long[] { votedAt, ackedAt };
                }));
            }
            for (int i = 0; i < n; i++) {
                long[] at = results.get(i).get(60, TimeUnit.SECONDS);
                Bytes record = Bytes.wrap(Codec.prepareKey(branch(i)));
                Bytes data = KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), ("key-" + i).getBytes(StandardCharsets.UTF_8));
                assertThat(syncedBefore(at[0], w -> w.put().contains(record)))
                        .as("YES vote of tx %d sent only after a synced write of its prepare record returned", i).isTrue();
                assertThat(syncedBefore(at[1], w -> w.deleted().contains(record) && w.put().contains(data)))
                        .as("commit ack of tx %d sent only after a synced write of its data (and the record's removal)", i)
                        .isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        // Nothing that records a vote or a commit is ever written unsynced.
        assertThat(writes).allMatch(Write::sync);
    }

    @Test
    void voteWaitsWhileItsWriteIsNotYetDurable() throws Exception {
        PeerEndpoint endpoint = endpoint();
        writes.clear(); // the node-name claim at open
        holdWrites = new CountDownLatch(1);
        writeEntered = new CountDownLatch(1);
        CompletableFuture<PeerResponse> vote = CompletableFuture.supplyAsync(
                () -> endpoint.handle(new PeerRequest("coordinator", PeerProtocol.PREPARE, prepareBody(1))));
        assertThat(writeEntered.await(30, TimeUnit.SECONDS)).isTrue();
        // The prepare record's write has started but not returned: no vote may have been produced.
        assertThat(vote).isNotDone();
        assertThat(writes).isEmpty();
        // Not voted yet, so not in doubt: nobody may resolve it (it holds its locks, though).
        assertThat(node.prepared()).containsExactly(branch(1));
        assertThat(node.inDoubt()).isEmpty();
        // A duplicate commit arriving now waits for the record instead of failing or overtaking it.
        CompletableFuture<PeerResponse> commit = CompletableFuture.supplyAsync(
                () -> endpoint.handle(new PeerRequest("coordinator", PeerProtocol.COMMIT, commitBody(1))));
        holdWrites.countDown();
        assertThat(vote.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(commit.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo(PeerProtocol.DONE);
        assertThat(writes).hasSize(2).allMatch(Write::sync);
        assertThat(node.prepared()).isEmpty();
    }
}
