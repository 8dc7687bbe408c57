package io.quarkiverse.level2pc.runtime;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.Versioned;

/** The local participant over a real LevelDB: waits, timeouts, restart with prepared branches. */
class LocalNodeTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);
    private static final Duration LONG_WAIT = Duration.ofSeconds(30);
    private static final Duration SHORT_WAIT = Duration.ofMillis(300);

    @TempDir
    Path dir;

    private final List<LocalNode> nodes = new ArrayList<>();

    private LocalNode open(Duration lockWait) {
        LocalNode node = LocalNode.open(dir, "node-a", true, 100, lockWait);
        nodes.add(node);
        return node;
    }

    @AfterEach
    void closeAll() {
        nodes.forEach(LocalNode::close);
    }

    private static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(Versioned v) {
        return v == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    /** Starts {@code action} on its own thread and returns once that thread is parked (waiting). */
    private static <T> CompletableFuture<T> startAndAwaitParked(Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(action.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "blocked-reader");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            if (result.isDone()) {
                fail("the reader returned without waiting: " + result);
            }
            if (System.nanoTime() > deadline) {
                fail("the reader never started waiting, state " + t.getState());
            }
            Thread.onSpinWait();
        }
        return result;
    }

    @Test
    void prepareThenCommitAppliesTheWritesStampedWithTheGlobalTransactionId() {
        LocalNode node = open(LONG_WAIT);
        TxWork w = work().put(k("a"), value("1")).readAbsent(k("r")).build();

        assertThat(node.prepare(T1, w)).isEqualTo(LocalNode.Vote.YES);
        assertThat(node.store().loadPrepared()).as("the record is durable when YES returns").hasSize(1);
        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.isWriteLocked(k("a"))).isTrue();

        assertThat(node.commit(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(node.read(k("a")))).isEqualTo("1");
        assertThat(node.store().versionOf(k("a"))).isEqualTo(T1.gtrid());
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.isWriteLocked(k("a"))).isFalse();
    }

    @Test
    void aDuplicateCommitIsDoneAndALatePrepareOfTheCommittedBranchIsRefused() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build());
        node.commit(T1);

        assertThat(node.commit(T1)).isEqualTo(LocalNode.Completion.DONE);
        assertThatThrownBy(() -> node.prepare(T1, work().put(k("a"), value("1")).build()))
                .as("a late prepare of a committed branch is refused")
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("COMMITTED");
    }

    @Test
    void aDuplicatePrepareOfAPreparedBranchVotesYesAgain() {
        LocalNode node = open(LONG_WAIT);
        TxWork w = work().put(k("a"), value("1")).build();
        node.prepare(T1, w);

        assertThat(node.prepare(T1, w)).isEqualTo(LocalNode.Vote.YES);
        assertThat(node.store().loadPrepared()).hasSize(1);
    }

    @Test
    void rollbackAfterCommitIsAProtocolViolation() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build());
        node.commit(T1);

        assertThatThrownBy(() -> node.rollback(T1)).isInstanceOf(IllegalStateException.class).hasMessageContaining(T1.toString());
    }

    @Test
    void secondPhaseCallsForAnUnknownBranchReportUnknown() {
        LocalNode node = open(LONG_WAIT);

        assertThat(node.commit(T1)).isEqualTo(LocalNode.Completion.UNKNOWN);
        assertThat(node.rollback(T1)).isEqualTo(LocalNode.Completion.UNKNOWN);
    }

    @Test
    void rollbackDiscardsTheRecordAppliesNothingAndReleasesTheLocks() {
        LocalNode node = open(LONG_WAIT);
        node.commitOnePhase(T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build());

        assertThat(node.rollback(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(node.read(k("a")))).isEqualTo("old");
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.isWriteLocked(k("a"))).isFalse();
    }

    @Test
    void aReaderOfAKeyHeldByAPreparedBranchWaitsUntilCommitThenSeesTheNewValue() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.commitOnePhase(T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build());

        CompletableFuture<Versioned> read = startAndAwaitParked(() -> node.read(k("a")));
        assertThat(read).as("no old value while the new one may already be acknowledged").isNotDone();

        node.commit(T1);

        Versioned v = read.get(10, TimeUnit.SECONDS);
        assertThat(str(v)).isEqualTo("new");
        assertThat(v.version()).isEqualTo(T1.gtrid());
    }

    @Test
    void aReaderOfAKeyHeldByAPreparedBranchWaitsUntilRollbackThenSeesTheOldValue() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.commitOnePhase(T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build());

        CompletableFuture<Versioned> read = startAndAwaitParked(() -> node.read(k("a")));
        assertThat(read).isNotDone();
        node.rollback(T1);

        assertThat(str(read.get(10, TimeUnit.SECONDS))).isEqualTo("old");
    }

    @Test
    void aReaderGivesUpWithLockWaitTimeoutNamingThePropertyWhileTheBranchStaysPrepared() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("a"), value("new")).build());

        long start = System.nanoTime();
        assertThatThrownBy(() -> node.read(k("a")))
                .isInstanceOfSatisfying(LockWaitTimeoutException.class, e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining("key 'a'")
                .hasMessageContaining(T1.toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("waited the whole timeout").isGreaterThanOrEqualTo(SHORT_WAIT);
        assertThat(node.prepared()).containsExactly(T1);
    }

    @Test
    void readersDoNotWaitForKeysThatArePreparedOnlyForReading() {
        LocalNode node = open(SHORT_WAIT);
        node.commitOnePhase(T2, work().put(k("r"), value("v")).build());
        node.prepare(T1, work().read(k("r"), T2.gtrid()).put(k("w"), value("1")).build());

        // A wrong wait would end in LockWaitTimeoutException.
        assertThat(str(node.read(k("r")))).isEqualTo("v");
        assertThat(node.read(k("unrelated"))).isNull();
    }

    @Test
    void aWriterWaitsForSharedLocksTooAndTimesOutNamingTheProperty() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().readAbsent(k("r")).put(k("w"), value("1")).build());

        node.awaitUnlocked(k("r")); // returns at once: only read-locked

        assertThatThrownBy(() -> node.awaitFree(k("r")))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining("read it");
    }

    @Test
    void aWriterWaitingForASharedLockProceedsOnceTheReaderBranchCommits() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().readAbsent(k("r")).put(k("w"), value("1")).build());

        CompletableFuture<Boolean> writer = startAndAwaitParked(() -> {
            node.awaitFree(k("r"));
            return true;
        });
        assertThat(writer).isNotDone();
        node.commit(T1);

        assertThat(writer.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void reopeningANodeWithAPreparedRecordRestoresItsLocksAndListsIt() throws Exception {
        LocalNode before = open(LONG_WAIT);
        before.commitOnePhase(T2, work().put(k("a"), value("old")).put(k("r"), value("r0")).build());
        before.prepare(T1, work().put(k("a"), value("new")).read(k("r"), T2.gtrid()).build());
        before.close();

        LocalNode node = open(LONG_WAIT);

        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.isWriteLocked(k("a"))).isTrue();
        assertThatThrownBy(() -> node.prepare(branch("tx-3"), work().put(k("r"), value("x")).build()))
                .as("the restored read lock blocks a writer").isInstanceOf(ConflictException.class);
        CompletableFuture<Versioned> read = startAndAwaitParked(() -> node.read(k("a")));
        assertThat(read).isNotDone();

        assertThat(node.commit(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(read.get(10, TimeUnit.SECONDS))).isEqualTo("new");
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void aBranchRestoredAfterReopenCanBeRolledBack() {
        LocalNode before = open(LONG_WAIT);
        before.prepare(T1, work().put(k("a"), value("new")).build());
        before.close();

        LocalNode node = open(SHORT_WAIT);
        assertThat(node.rollback(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(node.read(k("a"))).isNull();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void aOnePhaseCommitBlockedByAPreparedBranchWaitsForItAndThenCommits() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build());

        CompletableFuture<Boolean> blind = startAndAwaitParked(() -> {
            node.commitOnePhase(T2, work().put(k("a"), value("2")).put(k("b"), value("2")).build());
            return true;
        });
        assertThat(blind).as("the one-phase commit waits while T1 holds 'a'").isNotDone();
        assertThat(node.store().get(k("b"))).isNull();

        node.commit(T1);

        assertThat(blind.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(str(node.read(k("a")))).as("T2 committed after T1").isEqualTo("2");
        assertThat(str(node.read(k("b")))).isEqualTo("2");
    }

    @Test
    void aOnePhaseCommitBlockedByABranchThatStaysPreparedTimesOutAndAppliesNothing() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build());

        assertThatThrownBy(() -> node.commitOnePhase(T2, work().put(k("a"), value("2")).put(k("b"), value("2")).build()))
                .isInstanceOfSatisfying(LockWaitTimeoutException.class, e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining("key 'a'")
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");
        assertThat(node.store().get(k("b"))).as("nothing of the waiting transaction is applied").isNull();
        assertThat(node.isWriteLocked(k("b"))).isFalse();
        assertThat(node.prepared()).containsExactly(T1);
    }

    @Test
    void aOnePhaseCommitWhoseReadChangedWhileItWaitedIsAConflict() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build());

        CompletableFuture<Boolean> stale = startAndAwaitParked(() -> {
            node.commitOnePhase(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build());
            return true;
        });
        node.commit(T1);

        assertThatThrownBy(() -> stale.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("changed");
        assertThat(node.store().get(k("b"))).isNull();
    }

    @Test
    void aOnePhaseCommitWithAStaleReadThrowsAConflict() {
        LocalNode node = open(LONG_WAIT);
        node.commitOnePhase(T1, work().put(k("a"), value("1")).build());

        assertThatThrownBy(() -> node.commitOnePhase(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build()))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("key 'a'")
                .hasMessageContaining("changed");
        assertThat(node.store().get(k("b"))).isNull();
    }

    @Test
    void aPrepareWithAStaleReadThrowsAConflictAndPersistsNothing() {
        LocalNode node = open(LONG_WAIT);
        node.commitOnePhase(T1, work().put(k("a"), value("1")).build());

        assertThatThrownBy(() -> node.prepare(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build()))
                .isInstanceOf(ConflictException.class);
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.prepared()).isEmpty();
    }

    @Test
    void aReadOnlyPrepareVotesReadOnlyAndPersistsNothing() {
        LocalNode node = open(LONG_WAIT);

        assertThat(node.prepare(T1, work().readAbsent(k("a")).build())).isEqualTo(LocalNode.Vote.READ_ONLY);
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.commit(T1)).isEqualTo(LocalNode.Completion.UNKNOWN);
    }

    @Test
    void openingADirectoryOfAnotherNodeFailsNamingThePropertyAndReleasesTheDirectory() {
        open(LONG_WAIT).close();

        assertThatThrownBy(() -> nodes.add(LocalNode.open(dir, "node-b", true, 100, LONG_WAIT)))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("quarkus.level-2pc.node-name")
                .hasMessageContaining("'node-a'");

        assertThat(open(LONG_WAIT).isOpen()).as("the failed open closed the store again").isTrue();
    }

    /**
     * Read-modify-write from several threads, half through one-phase commits and half through
     * prepare + commit, retrying on conflict: no increment is lost.
     */
    @Test
    void concurrentIncrementsRetriedOnConflictLoseNoUpdate() throws Exception {
        LocalNode node = LocalNode.open(dir, "node-a", false, 100, LONG_WAIT);
        nodes.add(node);
        int threads = 4;
        int perThread = 25;
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger ids = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
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
                        Versioned v = node.read(k("counter"));
                        long n = v == null ? 0 : Long.parseLong(str(v));
                        BranchId id = branch("inc-" + ids.incrementAndGet());
                        TxWork w = work().read(k("counter"), v == null ? Bytes.EMPTY : v.version())
                                .put(k("counter"), value(Long.toString(n + 1))).build();
                        try {
                            if (twoPhase) {
                                node.prepare(id, w);
                                assertThat(node.commit(id)).isEqualTo(LocalNode.Completion.DONE);
                            } else {
                                node.commitOnePhase(id, w);
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

        assertThat(str(node.read(k("counter")))).isEqualTo(Integer.toString(threads * perThread));
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void aScanWaitsForBranchesPreparedInItsRangeWhenItStartsButNotForOthers() throws Exception {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("b"), value("new")).build());

        // A range without prepared keys: no wait.
        node.awaitRangeUnlocked(k("c"), k("d"));

        CompletableFuture<Boolean> scan = startAndAwaitParked(() -> {
            node.awaitRangeUnlocked(k("a"), k("c"));
            return true;
        });
        assertThat(scan).as("a scan must not miss a write that may already be acknowledged").isNotDone();
        // A branch prepared after the scan started is concurrent with it: not waited for.
        node.prepare(T2, work().put(k("a"), value("later")).build());

        node.commit(T1);

        assertThat(scan.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(str(node.store().get(k("b")))).isEqualTo("new");
        assertThat(node.prepared()).containsExactly(T2);
    }

    @Test
    void aScanOfAnUnboundedRangeTimesOutOnAnUndecidedBranch() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("z"), value("new")).build());

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> node.awaitRangeUnlocked(k("a"), null))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");
    }
}
