package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static io.quarkiverse.level2pc.node.QuorumNodes.ALL;
import static io.quarkiverse.level2pc.node.QuorumNodes.G_HIGH;
import static io.quarkiverse.level2pc.node.QuorumNodes.G_LOW;
import static io.quarkiverse.level2pc.node.QuorumNodes.K1;
import static io.quarkiverse.level2pc.node.QuorumNodes.K2;
import static io.quarkiverse.level2pc.node.QuorumNodes.K3;
import static io.quarkiverse.level2pc.node.QuorumNodes.T1;
import static io.quarkiverse.level2pc.node.QuorumNodes.T2;
import static io.quarkiverse.level2pc.node.QuorumNodes.WITHOUT_C;
import static io.quarkiverse.level2pc.node.QuorumNodes.answer;
import static io.quarkiverse.level2pc.node.QuorumNodes.apply;
import static io.quarkiverse.level2pc.node.QuorumNodes.catchUpFor;
import static io.quarkiverse.level2pc.node.QuorumNodes.caughtUp;
import static io.quarkiverse.level2pc.node.QuorumNodes.deleted;
import static io.quarkiverse.level2pc.node.QuorumNodes.live;
import static io.quarkiverse.level2pc.node.QuorumNodes.prepareAndCommit;
import static io.quarkiverse.level2pc.node.QuorumNodes.quorum;
import static io.quarkiverse.level2pc.node.QuorumNodes.seed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Quorum mode over real LevelDBs: commit stamps, tombstones, catch-up hints and the catch-up of key
 * states between nodes "a" and "c" ({@link CatchUps}). Branches adopted while catching up, local
 * branches in the way and quorum prepares: {@link CatchUpAdoptionTest}.
 */
class CatchUpTest {

    @RegisterExtension
    final QuorumNodes cluster = new QuorumNodes();

    private LocalNode open(String name) {
        return cluster.open(name);
    }

    // ---- a) a commit missed by c, caught up through the hint -----------------------------------

    @Test
    void aNodeLeftOutCatchesUpWithAPutAndADeleteAndTheHintIsDroppedOnceItCaughtUp() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        assertThat(a.store().hints()).as("a commit of every node leaves no hint").isEmpty();

        long s1 = a.nextStamp();
        assertThat(s1).isGreaterThan(s0);
        prepareAndCommit(a, T1, quorum(s1, WITHOUT_C, 1, work().put(K1, value("v1")).delete(K2)));
        Bytes v1 = Stamps.version(s1, T1.gtrid());

        assertThat(a.store().hints()).singleElement().satisfies(h -> {
            assertThat(h.gtrid()).isEqualTo(T1.gtrid());
            assertThat(h.keys()).containsExactly(K1, K2);
            assertThat(h.participants()).containsExactly("a", "b");
            assertThat(h.excluded()).isEqualTo(1);
            assertThat(h.caughtUp()).isEmpty();
        });
        assertThat(a.store().tombstoneOf(K2)).as("a keeps the deletion").isEqualTo(v1);
        assertThat(a.store().stampOf(K2)).isEqualTo(s1);
        assertThat(catchUpFor(a, "b").keys()).as("b took part: nothing to catch up").isEmpty();

        CatchUp answer = catchUpFor(a, "c");
        assertThat(answer.hints()).containsExactly(T1.gtrid());
        assertThat(answer.inFlight()).isEmpty();
        assertThat(answer.keys()).hasSize(2);
        assertThat(answer.keys().get(0).key()).isEqualTo(K1);
        assertThat(answer.keys().get(0).version()).isEqualTo(v1);
        assertThat(answer.keys().get(0).value()).isEqualTo(value("v1"));
        assertThat(answer.keys().get(1).key()).isEqualTo(K2);
        assertThat(answer.keys().get(1).version()).isEqualTo(v1);
        assertThat(answer.keys().get(1).value()).isNull();

        assertThat(apply(c, answer)).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(c.store().get(K1).version()).isEqualTo(v1);
        assertThat(c.store().get(K2)).isNull();
        assertThat(c.store().tombstoneOf(K2)).isEqualTo(v1);
        assertThat(c.store().stampOf(K2)).isEqualTo(s1);
        assertThat(str(c.store().get(K3))).as("a key no hint names is untouched").isEqualTo("v0");
        assertThat(c.nextStamp()).as("c's clock moved past what it caught up with").isGreaterThan(s1);

        caughtUp(a, "c", answer.hints());

        assertThat(a.store().hints()).as("excluded was 1: one node caught up is enough").isEmpty();
        CatchUp again = catchUpFor(a, "c");
        assertThat(again.keys()).isEmpty();
        assertThat(again.hints()).isEmpty();
    }

    @Test
    void aHintMissedByTwoNodesIsKeptUntilBothCaughtUp() {
        LocalNode a = open("a");
        seed(a);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), ALL, 2, work().put(K1, value("v1"))));

        caughtUp(a, "a", List.of(T1.gtrid())); // a took part: does not count
        caughtUp(a, "d", List.of(T1.gtrid()));
        caughtUp(a, "d", List.of(T1.gtrid())); // a duplicate does not count twice

        assertThat(a.store().hints()).singleElement().satisfies(h -> assertThat(h.caughtUp()).containsExactly("d"));
        assertThat(catchUpFor(a, "d").keys()).isEmpty();
        assertThat(catchUpFor(a, "e").keys()).extracting(KeyState::key).containsExactly(K1);

        caughtUp(a, "e", List.of(T1.gtrid(), Bytes.utf8("unknown-gtrid")));

        assertThat(a.store().hints()).isEmpty();
    }

    @Test
    void aCommitOfEveryNodeLeavesNoHintAndOnlyQuorumDeletionsLeaveTombstones() {
        LocalNode a = open("a");
        seed(a);

        prepareAndCommit(a, T1, quorum(a.nextStamp(), ALL, 0, work().delete(K1)));
        prepareAndCommit(a, T2, work().delete(K2).build());

        assertThat(a.store().hints()).isEmpty();
        assertThat(a.store().tombstoneOf(K1)).as("quorum mode keeps every deletion").isNotNull();
        assertThat(a.store().tombstoneOf(K2)).as("full replication keeps none").isNull();
    }

    @Test
    void aPutRemovesTheTombstoneOfTheKey() {
        LocalNode a = open("a");
        seed(a);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), ALL, 0, work().delete(K1)));
        long s2 = a.nextStamp();

        prepareAndCommit(a, T2, quorum(s2, ALL, 0, work().put(K1, value("again"))));

        assertThat(a.store().tombstoneOf(K1)).isNull();
        assertThat(a.store().stampOf(K1)).isEqualTo(s2);
    }

    @Test
    void aParticipantTellsWhatItKnowsOfATransactionWhoseBranchAnotherNodeAdopted() {
        LocalNode a = open("a");
        seed(a);
        CatchUps catchUps = new CatchUps(a);
        TxWork w = quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1")));
        assertThat(catchUps.branchState(T1.gtrid())).as("its prepare has not arrived").isEqualTo(Outcome.UNKNOWN);

        a.prepare(T1, w).join();
        assertThat(catchUps.branchState(T1.gtrid())).isEqualTo(Outcome.IN_PROGRESS);
        a.commit(T1).join();
        assertThat(catchUps.branchState(T1.gtrid())).as("its hint is on record").isEqualTo(Outcome.COMMITTED);
        caughtUp(a, "c", List.of(T1.gtrid()));
        assertThat(catchUps.branchState(T1.gtrid())).as("every node it missed caught up").isEqualTo(Outcome.UNKNOWN);

        a.prepare(T2, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K2, value("v2")))).join();
        a.rollback(T2).join();
        assertThat(catchUps.branchState(T2.gtrid())).as("rolled back").isEqualTo(Outcome.UNKNOWN);
    }

    // ---- b) the local state wins when its stamp is greater ---------------------------------------

    @Test
    void aKeyWhoseLocalStampIsGreaterKeepsTheLocalValue() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("from-a")).put(K2, value("from-a"))));
        prepareAndCommit(c, T2, quorum(s0 + 20, List.of("b", "c"), 1, work().put(K1, value("from-c"))));

        assertThat(apply(c, catchUpFor(a, "c"))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("from-c");
        assertThat(c.store().stampOf(K1)).isEqualTo(s0 + 20);
        assertThat(str(c.store().get(K2))).as("the other key of the same hint is applied").isEqualTo("from-a");
    }

    @Test
    void aLocalDeletionWithAGreaterStampIsNotUndoneByAnOlderValue() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("from-a"))));
        prepareAndCommit(c, T2, quorum(s0 + 20, List.of("b", "c"), 1, work().delete(K1)));

        assertThat(apply(c, catchUpFor(a, "c"))).isNull();

        assertThat(c.store().get(K1)).isNull();
        assertThat(c.store().tombstoneOf(K1)).isEqualTo(Stamps.version(s0 + 20, T2.gtrid()));
    }

    // ---- c) several sources: the greatest stamp wins ---------------------------------------------

    @Test
    void ofTwoSourcesTheGreaterStampWinsWhateverTheirOrder() {
        LocalNode c1 = cluster.open("c", "c-first");
        LocalNode c2 = cluster.open("c", "c-second");
        long s0 = seed(c1, c2);
        CatchUp low = answer(live(K1, s0 + 100, G_LOW, "low"), live(K2, s0 + 300, G_HIGH, "k2-high"));
        CatchUp high = answer(live(K1, s0 + 200, G_HIGH, "high"), live(K2, s0 + 150, G_LOW, "k2-low"));

        assertThat(apply(c1, low, high)).isNull();
        assertThat(apply(c2, high, low)).isNull();

        for (LocalNode c : List.of(c1, c2)) {
            assertThat(str(c.store().get(K1))).isEqualTo("high");
            assertThat(c.store().get(K1).version()).isEqualTo(Stamps.version(s0 + 200, G_HIGH));
            assertThat(str(c.store().get(K2))).isEqualTo("k2-high");
        }
    }

    @Test
    void ofTwoSourcesALaterDeletionWinsOverAnEarlierValueAndTheOtherWayRound() {
        LocalNode c1 = cluster.open("c", "c-first");
        LocalNode c2 = cluster.open("c", "c-second");
        long s0 = seed(c1, c2);
        CatchUp one = answer(live(K1, s0 + 100, G_LOW, "low"), deleted(K2, s0 + 100, G_LOW));
        CatchUp two = answer(deleted(K1, s0 + 200, G_HIGH), live(K2, s0 + 200, G_HIGH, "k2-high"));

        assertThat(apply(c1, one, two)).isNull();
        assertThat(apply(c2, two, one)).isNull();

        for (LocalNode c : List.of(c1, c2)) {
            assertThat(c.store().get(K1)).isNull();
            assertThat(c.store().tombstoneOf(K1)).isEqualTo(Stamps.version(s0 + 200, G_HIGH));
            assertThat(str(c.store().get(K2))).isEqualTo("k2-high");
            assertThat(c.store().tombstoneOf(K2)).isNull();
        }
    }

    @Test
    void aSourceThatNeverSawAKeyChangesNothing() {
        LocalNode c = open("c");
        seed(c);

        assertThat(apply(c, answer(new KeyState(K1, Bytes.EMPTY, null)))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(c.store().tombstoneOf(K1)).isNull();
    }

    // ---- f) a commit with an older or the same stamp does not overwrite ------------------------------

    @Test
    void aCommitWithTheSameStampAsTheStoredVersionLeavesItAsItIs() {
        LocalNode c = open("c");
        long s0 = seed(c);
        Bytes before = c.store().versionOf(K1);

        // The same transaction's version came through a catch-up already: committing it again is a no-op.
        c.store().commit(branch("other"), quorum(s0, ALL, 0, work().put(K1, value("same-stamp"))), false, null).join();

        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(c.store().versionOf(K1)).isEqualTo(before);
    }

    @Test
    void aFullReplicationCommitIsNeverSkipped() {
        LocalNode c = open("c");
        seed(c);

        prepareAndCommit(c, T1, work().put(K1, value("full")).build());

        assertThat(str(reads(c).read(K1))).isEqualTo("full");
        assertThat(c.store().versionOf(K1)).isEqualTo(T1.gtrid());
    }

    // ---- g) tombstones are swept after a while ----------------------------------------------------------

    @Test
    void sweepTombstonesRemovesTombstonesDeletedBeforeTheCutoffAndKeepsNewerOnes() {
        LocalNode a = open("a");
        long s0 = seed(a);
        ManualScheduler clock = cluster.clock; // deletions are dated by the scheduler's wall clock
        long before = clock.currentTimeMillis();
        prepareAndCommit(a, T1, quorum(s0 + 1, WITHOUT_C, 1, work().delete(K1)));
        clock.advance(Duration.ofMillis(1));
        long cutoff = clock.currentTimeMillis(); // after the first deletion, not after the second
        prepareAndCommit(a, T2, quorum(s0 + 2, WITHOUT_C, 1, work().delete(K2)));

        assertThat(a.store().sweepTombstones(Long.MAX_VALUE)).as("c has not caught up: hinted keys keep their tombstones")
                .isZero();
        caughtUp(a, "c", List.of(T1.gtrid(), T2.gtrid()));
        assertThat(a.store().hints()).isEmpty();

        assertThat(a.store().sweepTombstones(before)).as("nothing was deleted before 'before'").isZero();
        assertThat(a.store().tombstoneOf(K1)).isNotNull();

        assertThat(a.store().sweepTombstones(cutoff)).isEqualTo(1);

        // The sweep's write is submitted, not awaited (nothing depends on its timing).
        NodeFixtures.await("k1's tombstone is swept", () -> a.store().tombstoneOf(K1) == null);
        assertThat(a.store().stampOf(K1)).as("the deletion's stamp is gone with it").isZero();
        assertThat(a.store().tombstoneOf(K2)).isEqualTo(Stamps.version(s0 + 2, T2.gtrid()));
        assertThat(str(a.store().get(K3))).as("live keys are not swept").isEqualTo("v0");

        assertThat(a.store().sweepTombstones(Long.MAX_VALUE)).isEqualTo(1);
        NodeFixtures.await("k2's tombstone is swept", () -> a.store().tombstoneOf(K2) == null);
    }

    @Test
    void sweepTombstonesAlsoRemovesTombstonesACatchUpWrote() {
        LocalNode c = open("c");
        long s0 = seed(c);
        assertThat(apply(c, answer(deleted(K1, s0 + 1, G_HIGH)))).isNull();
        assertThat(c.store().tombstoneOf(K1)).isNotNull();

        assertThat(c.store().sweepTombstones(Long.MAX_VALUE)).isEqualTo(1);

        NodeFixtures.await("the tombstone is swept", () -> c.store().tombstoneOf(K1) == null);
    }

    // ---- found while writing the earlier version of these tests -----------------------------------------

    /**
     * A tombstone swept while a hint still names its key would leave a node that stays away longer than the
     * retention a key state without a version: it would keep its old value and the deletion would be lost.
     */
    @Test
    void aDeletionMissedByANodeIsStillCaughtUpAfterTheTombstoneSweep() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().delete(K2)));

        cluster.clock.advance(Duration.ofMinutes(20)); // far beyond the retention of tombstones
        assertThat(a.store().sweepTombstones(cluster.clock.currentTimeMillis())).as("the hint keeps it").isZero();
        CatchUp answer = catchUpFor(a, "c");
        assertThat(apply(c, answer)).isNull();
        caughtUp(a, "c", answer.hints());

        assertThat(c.store().get(K2)).as("c learnt that k2 was deleted while it was away").isNull();
    }

    /** A node that commits a branch it adopted (it took no part in it) keeps no hint nobody could clear. */
    @Test
    void aNodeThatCommitsAnAdoptedBranchKeepsNoHintThatNoOneCanClear() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1")))).join()).isEqualTo(Vote.YES);
        assertThat(apply(c, catchUpFor(a, "c"))).isNull();

        assertThat(c.commit(T1).join()).isEqualTo(Completion.DONE);

        assertThat(c.store().hints()).as("hints left on c, which took no part in T1").isEmpty();
    }

    @Test
    void aQuorumCommitWithExcludedNodesButNoWritesLeavesNoHint() {
        LocalNode a = open("a");
        TxWork readOnly = quorum(a.nextStamp(), WITHOUT_C, 1, work().readAbsent(K1));

        assertThat(a.prepare(T1, readOnly).join()).isEqualTo(Vote.READ_ONLY);
        assertThat(a.store().commit(T1, readOnly, false, null)).succeedsWithin(Duration.ofSeconds(10));

        assertThat(a.store().hints()).isEmpty();
    }
}
