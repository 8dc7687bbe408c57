package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static io.quarkiverse.level2pc.node.QuorumNodes.G_HIGH;
import static io.quarkiverse.level2pc.node.QuorumNodes.K1;
import static io.quarkiverse.level2pc.node.QuorumNodes.K2;
import static io.quarkiverse.level2pc.node.QuorumNodes.K3;
import static io.quarkiverse.level2pc.node.QuorumNodes.K4;
import static io.quarkiverse.level2pc.node.QuorumNodes.T1;
import static io.quarkiverse.level2pc.node.QuorumNodes.T2;
import static io.quarkiverse.level2pc.node.QuorumNodes.T3;
import static io.quarkiverse.level2pc.node.QuorumNodes.WITHOUT_C;
import static io.quarkiverse.level2pc.node.QuorumNodes.answer;
import static io.quarkiverse.level2pc.node.QuorumNodes.apply;
import static io.quarkiverse.level2pc.node.QuorumNodes.catchUpFor;
import static io.quarkiverse.level2pc.node.QuorumNodes.live;
import static io.quarkiverse.level2pc.node.QuorumNodes.prepareAndCommit;
import static io.quarkiverse.level2pc.node.QuorumNodes.quorum;
import static io.quarkiverse.level2pc.node.QuorumNodes.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.List;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Quorum mode over real LevelDBs, continued: branches prepared without a node are adopted by its
 * catch-up; local branches holding keys the catch-up needs; an adopted branch with an older stamp than
 * what was caught up. Quorum prepares and the commit/catch-up interplay: {@link QuorumPrepareTest}.
 */
class CatchUpAdoptionTest {

    @TempDir
    Path dir;

    private QuorumNodes cluster;
    private LocalNode a;
    private LocalNode c;

    @BeforeEach
    void cluster() {
        cluster = new QuorumNodes(dir);
        a = cluster.open("a");
        c = cluster.open("c");
    }

    @AfterEach
    void close() {
        cluster.close();
    }

    // ---- d) branches prepared without the node are adopted -----------------------------------------

    @Test
    void aBranchPreparedWithoutTheNodeIsAdoptedLockedAndCommittedThere() {
        seed(a, c);
        long s1 = a.nextStamp();
        TxWork w = quorum(s1, WITHOUT_C, 1, work().put(K1, value("v1")).delete(K2));
        assertThat(a.prepare(T1, w).join()).isEqualTo(Vote.YES);

        CatchUp answer = catchUpFor(a, "c");
        assertThat(answer.inFlight()).singleElement().satisfies(r -> {
            assertThat(r.branch()).isEqualTo(T1);
            assertThat(r.work().stamp()).isEqualTo(s1);
            assertThat(r.work().participants()).containsExactly("a", "b");
        });
        assertThat(answer.keys()).as("not committed yet: no hint").isEmpty();
        assertThat(catchUpFor(a, "b").inFlight()).as("b takes part in it").isEmpty();

        assertThat(apply(c, answer)).isNull();

        assertThat(c.prepared()).containsExactly(T1);
        assertThat(new CatchUps(c).isAdopted(T1)).isTrue();
        assertThat(c.inDoubt()).singleElement().satisfies(d -> assertThat(d.adoptedFrom()).containsExactly("a", "b"));
        assertThat(c.isWriteLocked(K1)).as("a read of k1 on c waits for the branch").isTrue();
        assertThat(c.isWriteLocked(K2)).isTrue();
        assertThat(c.isWriteLocked(K3)).isFalse();
        assertThat(c.coordinatorOf(T1)).isEqualTo("a");
        assertThat(c.store().loadPrepared()).as("adopted durably").extracting(PrepareRecord::branch).containsExactly(T1);
        assertThat(str(c.store().get(K1))).as("not applied before the commit").isEqualTo("v0");
        assertThat(c.nextStamp()).isGreaterThan(s1);

        assertThat(c.commit(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(reads(c).read(K1))).isEqualTo("v1");
        assertThat(c.store().get(K1).version()).isEqualTo(Stamps.version(s1, T1.gtrid()));
        assertThat(reads(c).read(K2)).isNull();
        assertThat(c.store().tombstoneOf(K2)).isEqualTo(Stamps.version(s1, T1.gtrid()));
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void anAdoptedBranchCanBeRolledBack() {
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1")))).join()).isEqualTo(Vote.YES);
        assertThat(apply(c, catchUpFor(a, "c"))).isNull();

        assertThat(c.rollback(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(reads(c).read(K1))).isEqualTo("v0");
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void anAdoptedBranchSurvivesARestart() {
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1")))).join()).isEqualTo(Vote.YES);
        assertThat(apply(c, catchUpFor(a, "c"))).isNull();
        c.close();

        LocalNode reopened = cluster.open("c");

        assertThat(reopened.prepared()).containsExactly(T1);
        assertThat(reopened.isWriteLocked(K1)).isTrue();
        assertThat(reopened.commit(T1).join()).isEqualTo(Completion.DONE);
        assertThat(str(reads(reopened).read(K1))).isEqualTo("v1");
    }

    @Test
    void applyingTheSameAnswerTwiceAdoptsTheBranchOnceAndNotAgainAfterItsCommit() {
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1")))).join()).isEqualTo(Vote.YES);
        CatchUp answer = catchUpFor(a, "c");

        assertThat(apply(c, answer)).isNull();
        assertThat(apply(c, answer, answer)).isNull();
        assertThat(c.prepared()).containsExactly(T1);

        assertThat(c.commit(T1).join()).isEqualTo(Completion.DONE);
        assertThat(apply(c, answer)).isNull();

        assertThat(c.prepared()).as("a branch already committed here is not adopted again").isEmpty();
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    // ---- e) a local branch holding a key ------------------------------------------------------------

    @Test
    void aPreparedLocalBranchHoldingAKeyDoesNotStopTheCatchUpAndItsLaterCommitSkipsTheOlderWrite() {
        long s0 = seed(a, c);
        // Prepared on c before c was left out, decided elsewhere meanwhile (c has not heard yet).
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K1, value("local")))).join()).isEqualTo(Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1")).put(K2, value("v1"))));
        assertThat(a.prepare(T3, quorum(s0 + 11, WITHOUT_C, 1, work().put(K4, value("v4")))).join()).isEqualTo(Vote.YES);
        CatchUp answer = catchUpFor(a, "c");
        assertThat(answer.inFlight()).hasSize(1);

        assertThat(apply(c, answer)).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(str(c.store().get(K2))).isEqualTo("v1");
        assertThat(c.prepared()).containsExactlyInAnyOrder(T2, T3);
        assertThat(c.isWriteLocked(K1)).as("the local branch keeps its lock: reads of k1 still wait for it").isTrue();

        assertThat(c.commit(T2).join()).isEqualTo(Completion.DONE);
        assertThat(str(c.store().get(K1))).as("the local branch's older write is skipped").isEqualTo("v1");
        assertThat(c.store().versionOf(K1)).isEqualTo(Stamps.version(s0 + 10, T1.gtrid()));
    }

    @Test
    void aBranchPreparedWithoutThisNodeThatConflictsWithALocalBranchMakesTheCatchUpWaitAndChangeNothing() {
        long s0 = seed(a, c);
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K4, value("local")))).join()).isEqualTo(Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1")).put(K2, value("v1"))));
        assertThat(a.prepare(T3, quorum(s0 + 11, WITHOUT_C, 1, work().put(K4, value("v4")))).join()).isEqualTo(Vote.YES);
        CatchUp answer = catchUpFor(a, "c");

        String reason = apply(c, answer);

        assertThat(reason).isNotNull().contains("k4").contains(T2.toString());
        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(str(c.store().get(K2))).as("all or nothing").isEqualTo("v0");
        assertThat(c.prepared()).containsExactly(T2);
        assertThat(c.store().loadPrepared()).extracting(PrepareRecord::branch).containsExactly(T2);

        assertThat(c.rollback(T2).join()).isEqualTo(Completion.DONE);
        assertThat(apply(c, answer)).as("once the local branch finished").isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(str(c.store().get(K2))).isEqualTo("v1");
        assertThat(c.prepared()).containsExactly(T3);
    }

    @Test
    void aLocalBranchHoldingAKeyThatNeedsNoUpdateDoesNotStopTheCatchUp() {
        long s0 = seed(a, c);
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K3, value("local")))).join()).isEqualTo(Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1"))));

        assertThat(apply(c, catchUpFor(a, "c"))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(c.isWriteLocked(K3)).isTrue();
    }

    /**
     * An adopted branch's READ keys are checked against the local branches' write locks too: otherwise the
     * catch-up would persist the adopted prepare record, restoring its locks would fail, and the node could
     * not restart with both records on disk.
     */
    @Test
    void aLocalBranchWritingAKeyAnAdoptedBranchReadMakesTheCatchUpWaitAndLeavesTheNodeRestartable() {
        long s0 = seed(a, c);
        Bytes seen = c.store().versionOf(K3);
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K3, value("local")))).join()).isEqualTo(Vote.YES);
        assertThat(a.prepare(T1, quorum(s0 + 10, WITHOUT_C, 1, work().read(K3, seen).put(K4, value("v4")))).join())
                .isEqualTo(Vote.YES);
        CatchUp answer = catchUpFor(a, "c");
        String[] reason = new String[1];

        Throwable thrown = catchThrowable(() -> reason[0] = apply(c, answer));
        c.close();
        Throwable reopen = catchThrowable(() -> cluster.open("c"));

        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(thrown).as("apply answers with a reason instead of failing").isNull();
            soft.assertThat(reason[0]).as("the local branch holds k3, which the adopted branch read").isNotNull();
            soft.assertThat(reopen).as("c restarts after the catch-up").isNull();
        });
    }

    // ---- f) a commit with an older stamp does not overwrite what a catch-up wrote ----------------------

    @Test
    void anAdoptedBranchWithAnOlderStampDoesNotOverwriteANewerValueCaughtUpWith() {
        long s0 = seed(c);
        TxWork older = quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("older")).delete(K2).put(K4, value("v4")));
        CatchUp fromA = new CatchUp(List.of(), List.of(new PrepareRecord(T1, older)), List.of());
        CatchUp fromB = answer(live(K1, s0 + 20, G_HIGH, "newer"), live(K2, s0 + 20, G_HIGH, "k2-newer"));

        assertThat(apply(c, fromA, fromB)).isNull();
        assertThat(str(c.store().get(K1))).isEqualTo("newer");
        assertThat(c.prepared()).containsExactly(T1);

        assertThat(c.commit(T1).join()).isEqualTo(Completion.DONE);

        assertThat(str(reads(c).read(K1))).as("stamp s0+20 stays").isEqualTo("newer");
        assertThat(c.store().stampOf(K1)).isEqualTo(s0 + 20);
        assertThat(str(reads(c).read(K2))).as("an older delete does not delete a newer value").isEqualTo("k2-newer");
        assertThat(c.store().tombstoneOf(K2)).isNull();
        assertThat(str(reads(c).read(K4))).as("a key without a newer stamp is written").isEqualTo("v4");
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void anAdoptedBranchWhoseRecordCannotBeWrittenIsLetGo() {
        seed(a, c);
        c.close(); // its store refuses the write

        CatchUp fromA = new CatchUp(List.of(), List.of(new PrepareRecord(T2, quorum(a.nextStamp(), WITHOUT_C, 1,
                work().put(K2, value("v2"))))), List.of());

        assertThat(failureOf(new CatchUps(c).apply(List.of(fromA)))).as("the store is closed").isNotNull();
        assertThat(c.prepared()).as("the adopted branch was let go with its locks").isEmpty();
        assertThat(c.isWriteLocked(K2)).isFalse();
    }
}
