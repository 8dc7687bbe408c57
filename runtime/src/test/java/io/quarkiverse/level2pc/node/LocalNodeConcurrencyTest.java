package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.LocalNodeTest.LONG_WAIT;
import static io.quarkiverse.level2pc.node.LocalNodeTest.SHORT_WAIT;
import static io.quarkiverse.level2pc.node.LocalNodeTest.commitAlone;
import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * The local node over a real LevelDB, continued: the coordinator's own branch of a transaction without
 * peers (formerly a one-phase commit) behind a prepared branch, concurrent read-modify-write, scans.
 */
class LocalNodeConcurrencyTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final Decision NO_PEERS = new Decision(T2.gtrid(), Map.of());

    @TempDir
    Path dir;

    private final ManualScheduler clock = new ManualScheduler();
    private final List<LocalNode> nodes = new ArrayList<>();

    private LocalNode open(Duration lockWait) {
        LocalNode node = NodeFixtures.openLevel(dir, "node-a", lockWait, clock);
        nodes.add(node);
        return node;
    }

    @AfterEach
    void closeAll() {
        nodes.forEach(LocalNode::close);
    }

    @Test
    void aCoordinatorBranchWithoutPeersBlockedByAPreparedBranchWaitsForItAndThenCommits() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).priority(1000).build()).join();

        // Younger than T1, but alone (no peer to hold locks while it waits): it waits for anyone.
        CompletableFuture<Void> locked = node.lockLocally(T2, work().put(k("a"), value("2")).put(k("b"), value("2"))
                .priority(2000).build(), true);
        assertThat(locked).as("waits while T1 holds 'a'").isNotDone();
        assertThat(node.store().get(k("b"))).isNull();

        node.commit(T1).join();

        assertThat(locked).isDone();
        assertThat(node.commitLocally(T2, NO_PEERS).join()).isEqualTo(Completion.DONE);
        assertThat(str(reads(node).read(k("a")))).as("T2 committed after T1").isEqualTo("2");
        assertThat(str(reads(node).read(k("b")))).isEqualTo("2");
    }

    @Test
    void aCoordinatorBranchBlockedByABranchThatStaysPreparedTimesOutAndAppliesNothing() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build()).join();

        CompletableFuture<Void> locked = node.lockLocally(T2, work().put(k("a"), value("2")).put(k("b"), value("2")).build(), true);
        clock.advance(SHORT_WAIT);

        assertThat(failureOf(locked))
                .isInstanceOfSatisfying(LockWaitTimeoutException.class, e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining(T1.toString())
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");
        assertThat(node.store().get(k("b"))).as("nothing of the waiting transaction is applied").isNull();
        assertThat(node.isWriteLocked(k("b"))).isFalse();
        assertThat(node.prepared()).containsExactly(T1);
    }

    @Test
    void aCoordinatorBranchWhoseReadChangedWhileItWaitedIsAConflict() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build()).join();

        CompletableFuture<Void> stale = node.lockLocally(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build(), true);
        assertThat(stale).isNotDone();
        node.commit(T1).join();

        assertThat(failureOf(stale)).isInstanceOf(ConflictException.class).hasMessageContaining("changed");
        assertThat(node.isWriteLocked(k("b"))).isFalse();
        assertThat(node.store().get(k("b"))).isNull();
    }

    @Test
    void aCoordinatorBranchWithAStaleReadIsAConflict() {
        LocalNode node = open(LONG_WAIT);
        commitAlone(node, T1, work().put(k("a"), value("1")).build());

        assertThat(failureOf(node.lockLocally(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build(), true)))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("key 'a'")
                .hasMessageContaining("changed");
        assertThat(node.store().get(k("b"))).isNull();
    }

    /**
     * Read-modify-write from several threads, half as the coordinator's own branch (lock locally, commit
     * with the decision) and half through prepare + commit, retrying on conflict: no increment is lost.
     */
    @Test
    void concurrentIncrementsRetriedOnConflictLoseNoUpdate() throws Exception {
        LocalNode node = LocalNode.open(new NodeStore(LevelStore.open(dir, false, 100)), "node-a", LONG_WAIT, clock);
        nodes.add(node);
        int threads = 4;
        int perThread = 25;
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger ids = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int t = 0; t < threads; t++) {
            boolean twoPhase = t % 2 == 0;
            workers.add(CompletableFuture.runAsync(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < perThread; i++) {
                    while (true) {
                        Versioned v = reads(node).read(k("counter"));
                        long n = v == null ? 0 : Long.parseLong(str(v));
                        BranchId id = branch("inc-" + ids.incrementAndGet());
                        TxWork w = work().read(k("counter"), v == null ? Bytes.EMPTY : v.version())
                                .put(k("counter"), value(Long.toString(n + 1))).build();
                        try {
                            if (twoPhase) {
                                Futures.join(node.prepare(id, w));
                                assertThat(Futures.join(node.commit(id))).isEqualTo(Completion.DONE);
                            } else {
                                Futures.join(node.lockLocally(id, w, true));
                                assertThat(Futures.join(node.commitLocally(id, new Decision(id.gtrid(), Map.of()))))
                                        .isEqualTo(Completion.DONE);
                            }
                            break;
                        } catch (ConflictException e) {
                            conflicts.incrementAndGet();
                        }
                    }
                }
            }, pool));
        }
        start.countDown();
        try {
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        assertThat(str(reads(node).read(k("counter")))).isEqualTo(Integer.toString(threads * perThread));
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.store().loadDecisions()).isEmpty();
    }

    @Test
    void aScanWaitsForBranchesPreparedInItsRangeWhenItStartsButNotForOthers() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("b"), value("new")).build()).join();

        assertThat(reads(node).awaitRangeUnlocked(k("c"), k("d"))).as("a range without prepared keys: no wait").isDone();

        CompletableFuture<Void> scan = reads(node).awaitRangeUnlocked(k("a"), k("c"));
        assertThat(scan).as("a scan must not miss a write that may already be acknowledged").isNotDone();
        // A branch prepared after the scan started is concurrent with it: not waited for.
        node.prepare(T2, work().put(k("a"), value("later")).build()).join();

        node.commit(T1).join();

        assertThat(scan).isCompleted();
        assertThat(str(node.store().get(k("b")))).isEqualTo("new");
        assertThat(node.prepared()).containsExactly(T2);
    }

    @Test
    void aScanOfAnUnboundedRangeTimesOutOnAnUndecidedBranch() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("z"), value("new")).build()).join();

        CompletableFuture<Void> scan = reads(node).awaitRangeUnlocked(k("a"), null);
        clock.advance(SHORT_WAIT.minusNanos(1));
        assertThat(scan).isNotDone();
        clock.advance(Duration.ofNanos(1));

        assertThat(failureOf(scan))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining(T1.toString());
    }
}
