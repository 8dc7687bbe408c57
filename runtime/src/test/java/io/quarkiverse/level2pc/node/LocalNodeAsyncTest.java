package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.MemoryStore;
import io.quarkiverse.level2pc.storage.Store;
import io.quarkiverse.level2pc.storage.StoreFailedException;

/**
 * What the asynchronous participant does that the blocking one did not: wait-die between colliding
 * prepares, the coordinator's own branch (locked without a record, committed together with its
 * decision), waits that complete a future instead of blocking a thread, and fail-stop on a store write
 * failure. Over an in-memory store whose writes complete at once, on a {@link ManualScheduler}.
 */
class LocalNodeAsyncTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final BranchId OLD = branch("tx-old");
    private static final BranchId YOUNG = branch("tx-young");
    private static final BranchId T3 = branch("tx-3");

    private final ManualScheduler clock = new ManualScheduler();
    private final MemoryStore memory = MemoryStore.immediate("a");
    private final LocalNode node = NodeFixtures.open(memory, "a", WAIT, clock);

    @AfterEach
    void close() {
        node.close();
    }

    private static NodeFixtures.WorkBuilder older() {
        return work().priority(1000);
    }

    private static NodeFixtures.WorkBuilder younger() {
        return work().priority(2000);
    }

    // ---- wait-die ---------------------------------------------------------------------------------

    @Test
    void anOlderPrepareWaitsForAYoungerHolderAndSucceedsOnceItCommits() {
        assertThat(node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join()).isEqualTo(Vote.YES);

        CompletableFuture<Vote> waiting = node.prepare(OLD, older().put(k("a"), value("old")).put(k("b"), value("old")).build());

        assertThat(waiting).as("the older one waits").isNotDone();
        assertThat(node.branches.waiting()).isEqualTo(1);
        assertThat(node.isWriteLocked(k("b"))).as("nothing is locked while it waits").isFalse();

        node.commit(YOUNG).join();

        assertThat(waiting).isCompletedWithValue(Vote.YES);
        assertThat(node.prepared()).containsExactly(OLD);
        assertThat(node.store().loadPrepared()).extracting(r -> r.branch()).containsExactly(OLD);
        node.commit(OLD).join();
        assertThat(str(reads(node).read(k("a")))).as("the older one committed last").isEqualTo("old");
    }

    @Test
    void anOlderPrepareWaitsForAYoungerHolderAndSucceedsOnceItRollsBack() {
        node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join();
        CompletableFuture<Vote> waiting = node.prepare(OLD, older().put(k("a"), value("old")).build());
        assertThat(waiting).isNotDone();

        node.rollback(YOUNG).join();

        assertThat(waiting).isCompletedWithValue(Vote.YES);
        assertThat(node.isWriteLocked(k("a"))).isTrue();
    }

    @Test
    void aYoungerPrepareIsRefusedAtOnceByAnOlderHolder() {
        node.prepare(OLD, older().put(k("a"), value("old")).build()).join();

        CompletableFuture<Vote> refused = node.prepare(YOUNG, younger().put(k("a"), value("young")).build());

        assertThat(failureOf(refused)).as("dies at once, no wait").isInstanceOf(ConflictException.class)
                .hasMessageContaining("key 'a'").hasMessageContaining("locked");
        assertThat(node.branches.waiting()).isZero();
        assertThat(node.prepared()).containsExactly(OLD);
    }

    @Test
    void ofTwoPreparesWithTheSamePriorityTheSmallerGlobalIdIsTheOlder() {
        node.prepare(branch("tx-b"), work().put(k("a"), value("b")).build()).join();

        assertThat(failureOf(node.prepare(branch("tx-c"), work().put(k("a"), value("c")).build())))
                .isInstanceOf(ConflictException.class);
        assertThat(node.prepare(branch("tx-a"), work().put(k("a"), value("a")).build())).isNotDone();
    }

    @Test
    void anOlderPrepareThatReadTheKeyIsRefusedAfterItsWaitWhenTheYoungerOneChangedIt() {
        node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join();
        CompletableFuture<Vote> waiting = node.prepare(OLD, older().readAbsent(k("a")).put(k("b"), value("old")).build());

        node.commit(YOUNG).join();

        assertThat(failureOf(waiting)).isInstanceOf(ConflictException.class).hasMessageContaining("changed");
        assertThat(node.isWriteLocked(k("b"))).isFalse();
    }

    @Test
    void anOlderReadOnlyPrepareWaitsForAYoungerWriterThenValidatesItsReads() {
        node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join();
        CompletableFuture<Vote> unchanged = node.prepare(OLD, older().readAbsent(k("b")).build());
        CompletableFuture<Vote> changed = node.prepare(T3, older().readAbsent(k("a")).build());

        assertThat(unchanged).as("reads nothing the writer holds").isCompletedWithValue(Vote.READ_ONLY);
        assertThat(changed).as("waits for the younger writer of 'a'").isNotDone();
        node.commit(YOUNG).join();

        assertThat(failureOf(changed)).isInstanceOf(ConflictException.class).hasMessageContaining("changed");
    }

    @Test
    void aYoungerReadOnlyPrepareIsRefusedAtOnceByAnOlderWriter() {
        node.prepare(OLD, older().put(k("a"), value("old")).build()).join();

        assertThat(failureOf(node.prepare(YOUNG, younger().readAbsent(k("a")).build()))).isInstanceOf(ConflictException.class)
                .hasMessageContaining("locked");
    }

    @Test
    void aWaitIsBoundedByTheLockWaitTimeoutOnTheSchedulersClock() {
        node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join();
        CompletableFuture<Vote> waiting = node.prepare(OLD, older().put(k("a"), value("old")).build());

        clock.advance(WAIT.minusMillis(1));
        assertThat(waiting).isNotDone();
        clock.advance(Duration.ofMillis(1));

        assertThat(failureOf(waiting)).isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout")
                .hasMessageContaining(YOUNG.toString());
        assertThat(node.branches.waiting()).isZero();
        assertThat(node.prepared()).containsExactly(YOUNG);
        // The younger holder finishing later does not wake the timed-out prepare again.
        node.commit(YOUNG).join();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    // ---- the coordinator's own branch -------------------------------------------------------------

    @Test
    void lockLocallyLocksWithoutAPrepareRecordAndIsNotInDoubt() {
        node.lockLocally(T3, work().put(k("a"), value("1")).build(), false).join();

        assertThat(node.isWriteLocked(k("a"))).isTrue();
        assertThat(node.store().loadPrepared()).as("no prepare record").isEmpty();
        assertThat(node.prepared()).as("the coordinator runs it: not in doubt").isEmpty();
        assertThat(node.inDoubt()).isEmpty();
        assertThat(reads(node).readAsync(k("a"))).as("readers wait for it like for any prepared branch").isNotDone();
    }

    @Test
    void commitLocallyWritesTheWritesAndTheDecisionInOneBatch() {
        node.lockLocally(T3, work().put(k("a"), value("1")).delete(k("b")).build(), false).join();
        Decision decision = new Decision(T3.gtrid(), Map.of("http://b:8080", branch("tx-3")));
        Store.WriteStats before = memory.stats();

        assertThat(node.commitLocally(T3, decision).join()).isEqualTo(Completion.DONE);

        assertThat(memory.stats().writes() - before.writes()).as("one write").isEqualTo(1);
        assertThat(str(reads(node).read(k("a")))).isEqualTo("1");
        assertThat(node.store().loadDecisions()).containsExactly(decision);
        assertThat(node.isWriteLocked(k("a"))).isFalse();
    }

    @Test
    void aCommitLocallyThatFailsLeavesNeitherTheWritesNorTheDecisionAndKeepsTheLocks() {
        node.lockLocally(T3, work().put(k("a"), value("1")).build(), false).join();
        memory.faults((sync, writes) -> MemoryStore.Fault.FAIL_LOST);

        CompletableFuture<Completion> commit = node.commitLocally(T3, new Decision(T3.gtrid(), Map.of("http://b:8080", T3)));

        assertThat(failureOf(commit)).isInstanceOf(StoreFailedException.class);
        assertThat(node.store().get(k("a"))).isNull();
        assertThat(node.store().loadDecisions()).isEmpty();
        assertThat(node.isWriteLocked(k("a"))).as("outcome unknown: the keys stay locked").isTrue();
    }

    @Test
    void lockLocallyWaitsForYoungerHoldersOnlyUnlessItWaitsForAnyone() {
        node.prepare(OLD, older().put(k("old"), value("1")).build()).join();
        node.prepare(YOUNG, younger().put(k("young"), value("1")).build()).join();
        BranchId middle = branch("tx-middle");

        assertThat(failureOf(node.lockLocally(middle, work().priority(1500).put(k("old"), value("2")).build(), false)))
                .as("with peers, dies against an older holder").isInstanceOf(ConflictException.class);
        CompletableFuture<Void> behindYounger = node.lockLocally(branch("tx-m2"), work().priority(1500)
                .put(k("young"), value("2")).build(), false);
        CompletableFuture<Void> alone = node.lockLocally(branch("tx-m3"), work().priority(1500)
                .put(k("old"), value("3")).build(), true);
        assertThat(behindYounger).isNotDone();
        assertThat(alone).as("alone, it holds nothing while it waits: waits for anyone").isNotDone();

        node.commit(YOUNG).join();
        assertThat(behindYounger).isCompleted();
        assertThat(alone).isNotDone();
        node.rollback(OLD).join();
        assertThat(alone).isCompleted();
    }

    @Test
    void rollbackOfTheCoordinatorsOwnBranchReleasesItAtOnce() {
        node.lockLocally(T3, work().put(k("a"), value("1")).build(), false).join();
        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        long writes = memory.stats().writes();

        assertThat(node.rollback(T3).join()).isEqualTo(Completion.DONE);

        assertThat(memory.stats().writes()).as("no record to delete").isEqualTo(writes);
        assertThat(read).isCompletedWithValue(null);
    }

    // ---- reads --------------------------------------------------------------------------------------

    @Test
    void readAsyncWaitsForAPreparedWriterAndCompletesWhenItCommits() {
        node.prepare(YOUNG, work().put(k("a"), value("new")).build()).join();

        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        CompletableFuture<Versioned> other = reads(node).readAsync(k("b"));

        assertThat(read).isNotDone();
        assertThat(other).as("another key is read at once").isCompletedWithValue(null);
        node.commit(YOUNG).join();
        assertThat(read).isDone();
        assertThat(str(read.join())).isEqualTo("new");
    }

    @Test
    void aReadWaitsOnlyForTheBranchThatHeldTheKeyWhenItStartedNotForTheNextOne() {
        node.prepare(YOUNG, younger().put(k("a"), value("young")).build()).join();
        CompletableFuture<Vote> next = node.prepare(OLD, older().put(k("a"), value("old")).build());
        CompletableFuture<Versioned> read = reads(node).readAsync(k("a"));
        assertThat(next).isNotDone();
        assertThat(read).isNotDone();

        node.commit(YOUNG).join(); // OLD, waiting first, takes the key at once: it prepared after the read began

        assertThat(next).isCompletedWithValue(Vote.YES);
        assertThat(node.isWriteLocked(k("a"))).isTrue();
        assertThat(read).as("a hot key's reader is not starved by each next holder").isDone();
        assertThat(str(read.join())).isEqualTo("young");
        node.commit(OLD).join();
        assertThat(str(reads(node).readAsync(k("a")).join())).isEqualTo("old");
    }

    // ---- fail-stop ----------------------------------------------------------------------------------

    @Test
    void aFailedStoreWriteStopsWritesButNotReads() {
        node.prepare(OLD, work().put(k("a"), value("1")).build()).join();
        node.commit(OLD).join();
        assertThat(node.storeFailure()).isNull();
        memory.faults((sync, writes) -> MemoryStore.Fault.FAIL_LOST);

        CompletableFuture<Vote> failed = node.prepare(YOUNG, work().put(k("b"), value("2")).build());

        assertThat(failureOf(failed)).isInstanceOf(StoreFailedException.class);
        assertThat(node.storeFailure()).isNotNull().contains("memory:a");
        assertThat(node.isWriteLocked(k("b"))).as("the abandoned branch released its locks").isFalse();
        assertThat(node.prepared()).isEmpty();

        memory.faults((sync, writes) -> MemoryStore.Fault.NONE); // the disk works again: the node still waits for a restart
        assertThat(failureOf(node.prepare(T3, work().put(k("c"), value("3")).build())))
                .isInstanceOf(NotReadyException.class).hasMessageContaining("takes no writes");
        assertThat(failureOf(node.lockLocally(branch("tx-4"), work().put(k("c"), value("4")).build(), true)))
                .isInstanceOf(NotReadyException.class);
        assertThat(node.isWriteLocked(k("c"))).isFalse();
        assertThat(str(reads(node).readAsync(k("a")).join())).as("committed data can still be read").isEqualTo("1");
        assertThat(reads(node).awaitRangeUnlocked(k("a"), null)).isCompleted();
    }

    @Test
    void aStoreWriteFailingAfterItsDataReachedTheDiskStopsWritesToo() {
        memory.faults((sync, writes) -> MemoryStore.Fault.FAIL_APPLIED);

        assertThat(failureOf(node.prepare(YOUNG, work().put(k("b"), value("2")).build()))).isInstanceOf(StoreFailedException.class);

        assertThat(node.storeFailure()).isNotNull();
        assertThat(failureOf(node.prepare(T3, work().put(k("c"), value("3")).build()))).isInstanceOf(NotReadyException.class);
    }
}
