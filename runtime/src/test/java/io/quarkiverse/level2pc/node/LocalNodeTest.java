package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * The local participant over a real LevelDB: prepare and second phase, waits for prepared branches and
 * their timeouts (on a {@link ManualScheduler}), restart with prepared branches. See
 * {@link LocalNodeConcurrencyTest} for the coordinator's own branch under contention and scans.
 */
class LocalNodeTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    static final Duration LONG_WAIT = Duration.ofSeconds(30);
    static final Duration SHORT_WAIT = Duration.ofMillis(300);

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

    /** Commits {@code w} as the coordinator's own branch of a transaction without peers (what a one-phase commit was). */
    static void commitAlone(LocalNode node, BranchId id, TxWork w) {
        node.lockLocally(id, w, true).join();
        assertThat(node.commitLocally(id, new Decision(id.gtrid(), Map.of())).join()).isEqualTo(Completion.DONE);
    }

    /** A peer's hello clock moves this node's clock along, unless it is implausibly far ahead (or forged). */
    @Test
    void aHelloClockFarAheadIsIgnored() {
        LocalNode node = open(LONG_WAIT);
        long now = clock.currentTimeMillis();
        long near = (now + 5_000) << 16;
        assertThat(node.observeClock(near)).isTrue();
        assertThat(node.nextStamp()).isGreaterThan(near);

        long before = node.nextStamp();
        assertThat(node.observeClock(Long.MAX_VALUE)).as("a forged clock").isFalse();
        assertThat(node.observeClock((now + LocalNode.MAX_CLOCK_AHEAD_MILLIS + 1_000) << 16)).as("a clock 61 s ahead").isFalse();
        long after = node.nextStamp();
        assertThat(after).isGreaterThan(before);
        assertThat(io.quarkiverse.level2pc.core.HybridClock.millisOf(after)).as("still near this node's wall clock")
                .isLessThan(now + 10_000);
    }

    @Test
    void prepareThenCommitAppliesTheWritesStampedWithTheGlobalTransactionId() {
        LocalNode node = open(LONG_WAIT);
        TxWork w = work().put(k("a"), value("1")).readAbsent(k("r")).build();

        assertThat(node.prepare(T1, w).join()).isEqualTo(Vote.YES);
        assertThat(node.store().loadPrepared()).as("the record is durable when YES is answered").hasSize(1);
        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.isWriteLocked(k("a"))).isTrue();

        assertThat(node.commit(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(reads(node).read(k("a")))).isEqualTo("1");
        assertThat(node.store().versionOf(k("a"))).isEqualTo(T1.gtrid());
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.isWriteLocked(k("a"))).isFalse();
    }

    @Test
    void aDuplicateCommitIsDoneAndALatePrepareOfTheCommittedBranchIsRefused() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build()).join();
        node.commit(T1).join();

        assertThat(node.commit(T1).join()).isEqualTo(Completion.DONE);
        assertThatThrownBy(() -> Futures.join(node.prepare(T1, work().put(k("a"), value("1")).build())))
                .as("a late prepare of a committed branch is refused")
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("COMMITTED");
    }

    @Test
    void aDuplicatePrepareOfAPreparedBranchVotesYesAgain() {
        LocalNode node = open(LONG_WAIT);
        TxWork w = work().put(k("a"), value("1")).build();
        node.prepare(T1, w).join();

        assertThat(node.prepare(T1, w).join()).isEqualTo(Vote.YES);
        assertThat(node.store().loadPrepared()).hasSize(1);
    }

    @Test
    void rollbackAfterCommitIsAProtocolViolation() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().put(k("a"), value("1")).build()).join();
        node.commit(T1).join();

        assertThatThrownBy(() -> Futures.join(node.rollback(T1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(T1.toString());
    }

    @Test
    void secondPhaseCallsForAnUnknownBranchReportUnknownAndALatePrepareAfterTheRollbackIsRefused() {
        LocalNode node = open(LONG_WAIT);

        assertThat(node.commit(T1).join()).isEqualTo(Completion.UNKNOWN);
        assertThat(node.rollback(T1).join()).isEqualTo(Completion.UNKNOWN);

        // The rollback overtook its prepare (delayed in the network): the prepare must not lock anything.
        assertThatThrownBy(() -> Futures.join(node.prepare(T1, work().put(k("a"), value("1")).build())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ROLLED_BACK");
        assertThat(node.isWriteLocked(k("a"))).isFalse();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void rollbackDiscardsTheRecordAppliesNothingAndReleasesTheLocks() {
        LocalNode node = open(LONG_WAIT);
        commitAlone(node, T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build()).join();

        assertThat(node.rollback(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(reads(node).read(k("a")))).isEqualTo("old");
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.isWriteLocked(k("a"))).isFalse();
    }

    @Test
    void aReaderOfAKeyHeldByAPreparedBranchWaitsUntilCommitThenSeesTheNewValue() {
        LocalNode node = open(LONG_WAIT);
        commitAlone(node, T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build()).join();

        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        assertThat(read).as("no old value while the new one may already be acknowledged").isNotDone();

        node.commit(T1).join();

        assertThat(read).isDone();
        Versioned v = read.join();
        assertThat(str(v)).isEqualTo("new");
        assertThat(v.version()).isEqualTo(T1.gtrid());
    }

    @Test
    void aReaderOfAKeyHeldByAPreparedBranchWaitsUntilRollbackThenSeesTheOldValue() {
        LocalNode node = open(LONG_WAIT);
        commitAlone(node, T2, work().put(k("a"), value("old")).build());
        node.prepare(T1, work().put(k("a"), value("new")).build()).join();

        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        assertThat(read).isNotDone();
        node.rollback(T1).join();

        assertThat(str(read.join())).isEqualTo("old");
    }

    @Test
    void aReaderGivesUpWithLockWaitTimeoutNamingThePropertyWhileTheBranchStaysPrepared() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().put(k("a"), value("new")).build()).join();

        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        clock.advance(SHORT_WAIT.minusNanos(1));
        assertThat(read).as("waits the whole timeout").isNotDone();
        clock.advance(Duration.ofNanos(1));

        assertThat(failureOf(read))
                .isInstanceOfSatisfying(LockWaitTimeoutException.class, e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining("key 'a'")
                .hasMessageContaining(T1.toString());
        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.branches.waiting()).as("the timed-out reader left no waiter behind").isZero();
    }

    @Test
    void readersDoNotWaitForKeysThatArePreparedOnlyForReading() {
        LocalNode node = open(SHORT_WAIT);
        commitAlone(node, T2, work().put(k("r"), value("v")).build());
        node.prepare(T1, work().read(k("r"), T2.gtrid()).put(k("w"), value("1")).build()).join();

        CompletableFuture<Versioned> read = reads(node).readAsync(k("r"));
        assertThat(read).as("answered at once, no wait").isDone();
        assertThat(str(read.join())).isEqualTo("v");
        assertThat(reads(node).readAsync(k("unrelated"))).isCompletedWithValue(null);
    }

    @Test
    void anOlderWriterWaitsForASharedLockTooAndTimesOutNamingThePropertyAndTheHolder() {
        LocalNode node = open(SHORT_WAIT);
        node.prepare(T1, work().readAbsent(k("r")).put(k("w"), value("1")).priority(2000).build()).join();
        assertThat(reads(node).readAsync(k("r"))).as("only read-locked: a reader does not wait").isDone();

        CompletableFuture<Vote> writer = node.prepare(T2, work().put(k("r"), value("x")).priority(1000).build());
        assertThat(writer).isNotDone();
        clock.advance(SHORT_WAIT);

        assertThat(failureOf(writer))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining(T1.toString());
        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.store().loadPrepared()).hasSize(1);
    }

    @Test
    void anOlderWriterWaitingForASharedLockProceedsOnceTheReaderBranchCommits() {
        LocalNode node = open(LONG_WAIT);
        node.prepare(T1, work().readAbsent(k("r")).put(k("w"), value("1")).priority(2000).build()).join();

        CompletableFuture<Vote> writer = node.prepare(T2, work().put(k("r"), value("x")).priority(1000).build());
        assertThat(writer).isNotDone();
        node.commit(T1).join();

        assertThat(writer.join()).isEqualTo(Vote.YES);
        assertThat(node.prepared()).containsExactly(T2);
    }

    @Test
    void reopeningANodeWithAPreparedRecordRestoresItsLocksAndListsIt() {
        LocalNode before = open(LONG_WAIT);
        commitAlone(before, T2, work().put(k("a"), value("old")).put(k("r"), value("r0")).build());
        before.prepare(T1, work().put(k("a"), value("new")).read(k("r"), T2.gtrid()).build()).join();
        before.close();

        LocalNode node = open(LONG_WAIT);

        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.inDoubt()).singleElement().satisfies(d -> assertThat(d.branch()).isEqualTo(T1));
        assertThat(node.isWriteLocked(k("a"))).isTrue();
        // tx-3 is younger than tx-1 (same priority, greater id): wait-die refuses it at once.
        CompletableFuture<Vote> younger = node.prepare(branch("tx-3"), work().put(k("r"), value("x")).build());
        assertThat(failureOf(younger)).as("the restored read lock blocks a writer").isInstanceOf(ConflictException.class);
        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        assertThat(read).isNotDone();

        assertThat(node.commit(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(read.join())).isEqualTo("new");
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void aBranchRestoredAfterReopenCanBeRolledBack() {
        LocalNode before = open(LONG_WAIT);
        before.prepare(T1, work().put(k("a"), value("new")).build()).join();
        before.close();

        LocalNode node = open(SHORT_WAIT);
        assertThat(node.rollback(T1).join()).isEqualTo(Completion.DONE);

        assertThat(reads(node).read(k("a"))).isNull();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void aPrepareWithAStaleReadThrowsAConflictAndPersistsNothing() {
        LocalNode node = open(LONG_WAIT);
        commitAlone(node, T1, work().put(k("a"), value("1")).build());

        assertThat(failureOf(node.prepare(T2, work().readAbsent(k("a")).put(k("b"), value("2")).build())))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("key 'a'")
                .hasMessageContaining("changed");
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.isWriteLocked(k("b"))).isFalse();
    }

    @Test
    void aReadOnlyPrepareVotesReadOnlyAndPersistsNothing() {
        LocalNode node = open(LONG_WAIT);

        assertThat(node.prepare(T1, work().readAbsent(k("a")).build()).join()).isEqualTo(Vote.READ_ONLY);
        assertThat(node.store().loadPrepared()).isEmpty();
        assertThat(node.commit(T1).join()).isEqualTo(Completion.UNKNOWN);
    }

    @Test
    void openingADirectoryOfAnotherNodeFailsNamingThePropertyAndReleasesTheDirectory() {
        open(LONG_WAIT).close();

        NodeStore other = new NodeStore(LevelStore.open(dir, true, 100));
        assertThatThrownBy(() -> nodes.add(LocalNode.open(other, "node-b", LONG_WAIT, clock)))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("quarkus.level-2pc.node-name")
                .hasMessageContaining("'node-a'");
        assertThat(other.isOpen()).as("the failed open closed the store").isFalse();

        assertThat(open(LONG_WAIT).isOpen()).as("the directory can be opened again").isTrue();
    }
}
