package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static io.quarkiverse.level2pc.node.QuorumNodes.ALL;
import static io.quarkiverse.level2pc.node.QuorumNodes.G_HIGH;
import static io.quarkiverse.level2pc.node.QuorumNodes.K1;
import static io.quarkiverse.level2pc.node.QuorumNodes.T1;
import static io.quarkiverse.level2pc.node.QuorumNodes.T2;
import static io.quarkiverse.level2pc.node.QuorumNodes.WITHOUT_C;
import static io.quarkiverse.level2pc.node.QuorumNodes.answer;
import static io.quarkiverse.level2pc.node.QuorumNodes.apply;
import static io.quarkiverse.level2pc.node.QuorumNodes.live;
import static io.quarkiverse.level2pc.node.QuorumNodes.quorum;
import static io.quarkiverse.level2pc.node.QuorumNodes.seed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.QuorumLease;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.storage.MemoryStore;

/**
 * Quorum-mode prepares on one node: commit stamps against stored ones, the prepare guard (read-lease
 * promises, catch-up), and commits of keys a catch-up is writing.
 */
class QuorumPrepareTest {

    @RegisterExtension
    final QuorumNodes cluster = new QuorumNodes();

    @Test
    void aQuorumPrepareBehindTheStoredStampIsRefusedAndMovesTheClockPastIt() {
        LocalNode c = cluster.open("c");
        long s0 = seed(c);
        long ahead = s0 + (1_000_000L << 16); // about 16 minutes ahead of the clock
        assertThat(apply(c, answer(live(K1, ahead, G_HIGH, "ahead")))).isNull();
        c.close();
        LocalNode restarted = cluster.open("c"); // its clock starts from the wall clock again
        assertThat(restarted.nextStamp()).isLessThan(ahead);

        CompletableFuture<Vote> behind = restarted.prepare(T1, quorum(s0 + 1, WITHOUT_C, 1, work().put(K1, value("x"))));

        assertThat(failureOf(behind)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("later commit stamp")
                .hasMessageContaining("k1");
        assertThat(restarted.prepared()).isEmpty();
        assertThat(restarted.isWriteLocked(K1)).isFalse();
        assertThat(restarted.store().loadPrepared()).isEmpty();
        assertThat(restarted.nextStamp()).as("a retry takes a stamp past the key's").isGreaterThan(ahead);
    }

    @Test
    void aQuorumPrepareMovesTheClockPastItsStamp() {
        LocalNode c = cluster.open("c");
        long ahead = c.nextStamp() + (5000L << 16);

        assertThat(c.prepare(T1, quorum(ahead, WITHOUT_C, 1, work().put(K1, value("x")))).join()).isEqualTo(Vote.YES);

        assertThat(c.nextStamp()).isGreaterThan(ahead);
    }

    @Test
    void thePrepareGuardChecksQuorumWorkOnlyAndItsRefusalLocksNothing() {
        LocalNode c = cluster.open("c");
        AtomicInteger checked = new AtomicInteger();
        c.prepareGuard(w -> {
            checked.incrementAndGet();
            return new QuorumLease.Refusal(QuorumLease.Refusal.Kind.NOT_READABLE, "not current", 0);
        });

        assertThat(failureOf(c.prepare(T1, quorum(c.nextStamp(), WITHOUT_C, 1, work().put(K1, value("x"))))))
                .isInstanceOf(NotReadyException.class).isNotInstanceOf(PromiseRefusalException.class).hasMessage("not current");
        assertThat(failureOf(c.lockLocally(QuorumNodes.T3, quorum(c.nextStamp(), WITHOUT_C, 1, work().put(K1, value("x"))), false)))
                .as("the coordinator's own branch too").isInstanceOf(NotReadyException.class);
        assertThat(checked).hasValue(2);
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
        assertThat(c.store().loadPrepared()).isEmpty();

        assertThat(c.prepare(T2, work().put(K1, value("full")).build()).join()).isEqualTo(Vote.YES);
        assertThat(checked).as("full-replication work is not guarded").hasValue(2);
    }

    @Test
    void aPromiseRefusalTellsWhenToTryAgain() {
        LocalNode c = cluster.open("c");
        c.prepareGuard(w -> new QuorumLease.Refusal(QuorumLease.Refusal.Kind.PROMISED, "promised node 'b'", 250));

        assertThat(failureOf(c.prepare(T1, quorum(c.nextStamp(), WITHOUT_C, 1, work().put(K1, value("x"))))))
                .isInstanceOfSatisfying(PromiseRefusalException.class, e -> assertThat(e.retryAfterMillis()).isEqualTo(250))
                .hasMessageContaining("promised node 'b'");
    }

    /**
     * A prepare that waits for a lock checks the guard again on every attempt, under the node lock: a
     * promise given while it waited (here: the guard starts refusing) stops it, so a node that catches up
     * right after its promise never misses a branch that was still waiting to lock.
     */
    @Test
    void aPrepareWaitingForALockChecksTheGuardAgainBeforeItLocks() {
        LocalNode c = cluster.open("c");
        AtomicBoolean refuse = new AtomicBoolean();
        AtomicInteger checked = new AtomicInteger();
        c.prepareGuard(w -> {
            checked.incrementAndGet();
            return refuse.get() ? new QuorumLease.Refusal(QuorumLease.Refusal.Kind.PROMISED, "promised c's peer", 100) : null;
        });
        long s0 = c.nextStamp();
        assertThat(c.prepare(T1, work().put(K1, value("holder")).priority(2000).coordinator("a").quorum(s0 + 1, ALL, 0))
                .join()).isEqualTo(Vote.YES);
        // T2 is older (wait-die): it waits for T1's lock.
        CompletableFuture<Vote> waiting = c.prepare(T2, work().put(K1, value("late")).priority(1000).coordinator("a")
                .quorum(s0 + 2, WITHOUT_C, 1));
        assertThat(waiting).isNotDone();
        assertThat(checked).as("T2's first attempt checked the guard").hasValue(2);

        refuse.set(true); // the promise, given while T2 waits for k1
        assertThat(c.rollback(T1).join()).isEqualTo(Completion.DONE);

        assertThat(failureOf(waiting)).isInstanceOf(PromiseRefusalException.class);
        assertThat(checked).as("checked again once k1 was free").hasValue(3);
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
    }

    // ---- commits of keys a catch-up is writing (in memory, with writes held on the disk) -----------------

    @Test
    void aCommitOfAKeyACatchUpIsWritingWaitsForItAndThenSkipsItsOlderWrite() {
        CoordinatorHarness.HeldDisk disk = new CoordinatorHarness.HeldDisk();
        try (LocalNode c = NodeFixtures.open(MemoryStore.on("c", disk), "c", Duration.ofSeconds(5), cluster.clock)) {
            long s0 = c.nextStamp();
            c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K1, value("local")))).join();
            disk.hold();
            CompletableFuture<String> catchUp = new CatchUps(c).apply(List.of(answer(live(K1, s0 + 10, G_HIGH, "newer"))));
            assertThat(catchUp).as("its write is held").isNotDone();

            CompletableFuture<Completion> commit = c.commit(T2);
            assertThat(commit).as("waits for the catch-up writing k1").isNotDone();

            disk.release();

            assertThat(catchUp).isCompletedWithValue(null);
            assertThat(commit).isCompletedWithValue(Completion.DONE);
            assertThat(str(reads(c).read(K1))).as("the older commit skipped k1").isEqualTo("newer");
            assertThat(c.store().versionOf(K1)).isEqualTo(Stamps.version(s0 + 10, G_HIGH));
        }
    }

    @Test
    void aCatchUpWaitsWhileALocalBranchIsCommittingOneOfItsKeys() {
        CoordinatorHarness.HeldDisk disk = new CoordinatorHarness.HeldDisk();
        try (LocalNode c = NodeFixtures.open(MemoryStore.on("c", disk), "c", Duration.ofSeconds(5), cluster.clock)) {
            long s0 = c.nextStamp();
            c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K1, value("local")))).join();
            disk.hold();
            CompletableFuture<Completion> commit = c.commit(T2);

            String busy = new CatchUps(c).apply(List.of(answer(live(K1, s0 + 10, G_HIGH, "newer")))).join();

            assertThat(busy).isNotNull().contains(T2.toString()).contains("committing");
            disk.release();
            assertThat(commit).isCompletedWithValue(Completion.DONE);
            assertThat(new CatchUps(c).apply(List.of(answer(live(K1, s0 + 10, G_HIGH, "newer")))).join()).isNull();
            assertThat(str(reads(c).read(K1))).isEqualTo("newer");
        }
    }
}
