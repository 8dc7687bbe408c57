package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.CoreFixtures.Versions;

/**
 * Wait-die on colliding prepares, the coordinator's own branch ({@link Participant#prepareLocally}), and a
 * rollback that overtakes its prepare.
 */
class ParticipantWaitDieTest {

    private static final BranchId OLD = branch("tx-old");
    private static final BranchId YOUNG = branch("tx-young");
    private static final BranchId A = branch("tx-a");
    private static final BranchId B = branch("tx-b");

    private final Participant p = new Participant(1_000);
    private final Versions versions = new Versions().set("x", "v0").set("y", "v0");

    private TxWork prepareDurably(BranchId id, TxWork w) {
        assertThat(p.prepare(id, w, versions)).isEqualTo(new Step.PersistThenVoteYes(id, w, false));
        p.persisted(id);
        return w;
    }

    private void assertHoldsNothing(BranchId id) {
        assertThat(p.state(id)).isNull();
        assertThat(p.locks().holdsLocks(id)).isFalse();
    }

    private void assertNoLocks() {
        assertThat(p.locks().writeLockCount()).isZero();
        assertThat(p.locks().readLockCount()).isZero();
    }

    @Nested
    class WaitDie {

        @Test
        void anOlderPrepareWaitsForTheYoungerHolderAndLocksNothing() {
            prepareDurably(YOUNG, work().put("x", "1").priority(200).build());

            Step s = p.prepare(OLD, work().put("x", "2").put("y", "2").priority(100).build(), versions);

            assertThat(s).isEqualTo(new Step.Wait(OLD, key("x"), YOUNG));
            assertHoldsNothing(OLD);
            assertThat(p.writeLockHolder(key("y"))).as("nothing of the waiter is locked").isNull();
        }

        @Test
        void aYoungerPrepareDiesAtOnceWithLocked() {
            prepareDurably(OLD, work().put("x", "1").priority(100).build());

            Step s = p.prepare(YOUNG, work().put("x", "2").priority(200).build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(YOUNG, new Conflict(Conflict.Kind.LOCKED, key("x"), OLD)));
            assertHoldsNothing(YOUNG);
        }

        @Test
        void theWaiterPreparesOnceTheHolderFinished() {
            prepareDurably(YOUNG, work().put("x", "1").priority(200).build());
            TxWork w = work().put("x", "2").priority(100).build();
            assertThat(p.prepare(OLD, w, versions)).isInstanceOf(Step.Wait.class);

            p.rollback(YOUNG);
            p.finished(YOUNG, Outcome.ROLLED_BACK);

            assertThat(p.prepare(OLD, w, versions)).isEqualTo(new Step.PersistThenVoteYes(OLD, w, false));
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(OLD);
        }

        @Test
        void equalPrioritiesAreOrderedByTheGlobalTransactionId() {
            prepareDurably(B, work().put("x", "1").priority(100).build());

            assertThat(p.prepare(A, work().put("x", "2").priority(100).build(), versions)).as("tx-a < tx-b: older")
                    .isEqualTo(new Step.Wait(A, key("x"), B));

            Participant other = new Participant(10);
            TxWork held = work().put("x", "1").priority(100).build();
            assertThat(other.prepare(A, held, versions)).isInstanceOf(Step.PersistThenVoteYes.class);
            assertThat(other.prepare(B, work().put("x", "2").priority(100).build(), versions)).as("tx-b > tx-a: younger")
                    .isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void isOlderComparesPriorityFirstThenTheGlobalId() {
            TxWork early = work().priority(1).build();
            TxWork late = work().priority(2).build();

            assertThat(Participant.isOlder(B, early, A, late)).as("priority wins over the id").isTrue();
            assertThat(Participant.isOlder(A, late, B, early)).isFalse();
            assertThat(Participant.isOlder(A, early, B, early)).isTrue();
            assertThat(Participant.isOlder(B, early, A, early)).isFalse();
            assertThat(Participant.isOlder(A, early, A, early)).as("never older than itself").isFalse();
        }

        @Test
        void anOlderWriterWaitsForAYoungerReader() {
            prepareDurably(YOUNG, work().read("x", "v0").put("y", "1").priority(200).build());

            assertThat(p.prepare(OLD, work().put("x", "2").priority(100).build(), versions)).isEqualTo(new Step.Wait(OLD, key("x"), YOUNG));
        }

        @Test
        void anOlderReadOnlyBranchWaitsForAYoungerWriter() {
            prepareDurably(YOUNG, work().put("x", "1").priority(200).build());

            assertThat(p.prepare(OLD, work().read("x", "v0").priority(100).build(), versions)).isEqualTo(new Step.Wait(OLD, key("x"), YOUNG));
            assertThat(p.prepare(branch("tx-z"), work().read("x", "v0").priority(300).build(), versions))
                    .isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void aChangedVersionVotesNoEvenForTheOlderTransaction() {
            versions.set("x", "v1");

            assertThat(p.prepare(OLD, work().read("x", "v0").put("y", "1").priority(1).build(), versions))
                    .isEqualTo(new Step.VoteNo(OLD, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
        }

        @Test
        void aRestoredBranchWithPriorityZeroIsOlderThanAnyTransactionWithAPriority() {
            p.restore(B, work().put("x", "1").build()); // as a record of format 1 or 2 decodes

            assertThat(p.prepare(A, work().put("x", "2").priority(1).build(), versions)).as("even with a smaller global id")
                    .isEqualTo(new Step.VoteNo(A, new Conflict(Conflict.Kind.LOCKED, key("x"), B)));
        }

        @Test
        void aRestoredBranchKeepsThePriorityOfItsRecord() {
            p.restore(YOUNG, work().put("x", "1").priority(500).build());

            assertThat(p.prepare(OLD, work().put("x", "2").priority(100).build(), versions)).isEqualTo(new Step.Wait(OLD, key("x"), YOUNG));
        }
    }

    @Nested
    class PrepareLocally {

        @Test
        void theCoordinatorsOwnBranchIsLockedWithoutARecordAndCommitsWithoutOne() {
            TxWork w = work().read("x", "v0").put("y", "1").build();

            assertThat(p.prepareLocally(A, w, versions, false)).isEqualTo(new Step.Locked(A));

            assertThat(p.state(A)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.hasPrepareRecord(A)).isFalse();
            assertThat(p.prepared()).isEmpty();
            assertThat(p.writeLockHolder(key("y"))).isEqualTo(A);
            assertThat(p.commit(A)).as("no persisted() is needed").isEqualTo(new Step.Apply(A, w, false));
            assertThat(p.state(A)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.writeLockHolder(key("y"))).as("held until the apply is durable").isEqualTo(A);
            p.finished(A, Outcome.COMMITTED);
            assertNoLocks();
            assertThat(p.outcome(A)).isEqualTo(Outcome.COMMITTED);
        }

        @Test
        void theCoordinatorsOwnBranchRollsBackWithoutARecord() {
            p.prepareLocally(A, work().put("x", "1").build(), versions, false);

            assertThat(p.rollback(A)).isEqualTo(new Step.Discard(A, false));
            p.finished(A, Outcome.ROLLED_BACK);

            assertNoLocks();
        }

        @Test
        void persistedIsRefusedForABranchWithoutARecord() {
            p.prepareLocally(A, work().put("x", "1").build(), versions, false);

            assertThatThrownBy(() -> p.persisted(A)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void aChangedReadVersionVotesNoAndLocksNothing() {
            versions.set("x", "v1");

            Step s = p.prepareLocally(A, work().read("x", "v0").put("y", "1").build(), versions, true);

            assertThat(s).isEqualTo(new Step.VoteNo(A, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
            assertNoLocks();
            assertThat(p.outcome(A)).isNull();
        }

        @Test
        void withoutWaitForAnyoneAYoungerLocalBranchDiesLikeAPrepare() {
            prepareDurably(OLD, work().put("x", "1").priority(100).build());

            assertThat(p.prepareLocally(YOUNG, work().put("x", "2").priority(200).build(), versions, false))
                    .isEqualTo(new Step.VoteNo(YOUNG, new Conflict(Conflict.Kind.LOCKED, key("x"), OLD)));
            assertThat(p.prepareLocally(A, work().put("x", "2").priority(50).build(), versions, false)).as("an older one waits")
                    .isEqualTo(new Step.Wait(A, key("x"), OLD));
            assertHoldsNothing(YOUNG);
        }

        @Test
        void withWaitForAnyoneItWaitsEvenForAnOlderHolder() {
            prepareDurably(OLD, work().put("x", "1").priority(100).build());

            assertThat(p.prepareLocally(YOUNG, work().put("x", "2").priority(200).build(), versions, true))
                    .isEqualTo(new Step.Wait(YOUNG, key("x"), OLD));
            assertHoldsNothing(YOUNG);
        }

        @Test
        void aLocalBranchInProgressMakesAYoungerConflictingPrepareVoteNo() {
            p.prepareLocally(A, work().put("x", "1").build(), versions, false);

            assertThat(p.prepare(B, work().read("x", "v0").put("y", "1").build(), versions))
                    .isEqualTo(new Step.VoteNo(B, new Conflict(Conflict.Kind.LOCKED, key("x"), A)));
        }

        @Test
        void readOnlyWorkIsValidatedButHoldsNoLocksAndLeavesNoBranch() {
            assertThat(p.prepareLocally(A, work().read("x", "v0").build(), versions, false)).isEqualTo(new Step.Locked(A));

            assertNoLocks();
            assertThat(p.state(A)).isNull();
            versions.set("x", "v1");
            assertThat(p.prepareLocally(B, work().read("x", "v0").build(), versions, false)).isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void aBranchStartedBeforeIsRefused() {
            TxWork w = work().put("x", "1").build();
            p.prepareLocally(A, w, versions, false);

            assertThat(p.prepareLocally(A, w, versions, false)).isInstanceOf(Step.Refused.class);
            assertThat(p.commit(A)).isEqualTo(new Step.Apply(A, w, false));
            assertThat(p.commit(A)).as("a duplicate commit while applying").isEqualTo(new Step.InProgress(A));
            p.finished(A, Outcome.COMMITTED);
            assertThat(p.prepareLocally(A, w, versions, false)).as("finished").isInstanceOf(Step.Refused.class);
            assertThat(p.commit(A)).isEqualTo(new Step.AlreadyDone(A, Outcome.COMMITTED));
            assertNoLocks();
        }

        @Test
        void aPeersBranchCanNotBeTakenOverLocally() {
            prepareDurably(A, work().put("x", "1").build());

            assertThat(p.prepareLocally(A, work().put("x", "1").build(), versions, false)).isInstanceOf(Step.Refused.class);
            assertThat(p.hasPrepareRecord(A)).isTrue();
        }
    }

    @Nested
    class RollbackOvertakesPrepare {

        @Test
        void aPrepareArrivingAfterTheRollbackOfItsBranchIsRefusedAndLocksNothing() {
            assertThat(p.rollback(A)).isEqualTo(new Step.Unknown(A));

            Step late = p.prepare(A, work().put("x", "1").build(), versions);

            assertThat(late).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("ROLLED_BACK"));
            assertHoldsNothing(A);
            assertNoLocks();
        }

        @Test
        void aLocalPrepareAfterTheRollbackIsRefusedToo() {
            p.rollback(A);

            assertThat(p.prepareLocally(A, work().put("x", "1").build(), versions, true)).isInstanceOf(Step.Refused.class);
            assertNoLocks();
        }

        @Test
        void aRollbackAfterANoVoteGuardsAgainstARetriedPrepare() {
            prepareDurably(A, work().put("x", "1").build());
            assertThat(p.prepare(B, work().put("x", "2").build(), versions)).isInstanceOf(Step.VoteNo.class);

            assertThat(p.rollback(B)).isEqualTo(new Step.Unknown(B));
            p.rollback(A);
            p.finished(A, Outcome.ROLLED_BACK);

            assertThat(p.prepare(B, work().put("x", "2").build(), versions)).isInstanceOf(Step.Refused.class);
            assertNoLocks();
        }

        @Test
        void otherBranchesAreNotAffected() {
            p.rollback(A);

            assertThat(p.prepare(B, work().put("x", "1").build(), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
        }
    }

    /**
     * A peer's prepare that meets an older branch of its own coordinator waits for it: that coordinator holds
     * the requester's keys, so it released them from the holder, which it does only once the holder is decided.
     */
    @Nested
    class SameCoordinator {

        private final Participant onB = new Participant(100, "node-b");
        private final TxIds fromA = new TxIds("node-a", 1);
        private final TxIds fromC = new TxIds("node-c", 2);
        private final TxIds fromB = new TxIds("node-b", 3);

        private void holdOnB(BranchId id, TxWork w) {
            assertThat(onB.prepare(id, w, versions)).isInstanceOf(Step.PersistThenVoteYes.class);
            onB.persisted(id);
        }

        @Test
        void aYoungerPrepareOfTheSameOtherCoordinatorWaitsForTheOlderHolder() {
            BranchId old = fromA.next();
            BranchId young = fromA.next();
            holdOnB(old, work().put("x", "1").priority(100).build());

            Step s = onB.prepare(young, work().put("x", "2").priority(200).build(), versions);

            assertThat(s).isEqualTo(new Step.Wait(young, key("x"), old));
            assertThat(onB.locks().holdsLocks(young)).isFalse();
            onB.commit(old);
            onB.finished(old, Outcome.COMMITTED);
            assertThat(onB.prepare(young, work().put("x", "2").priority(200).build(), versions))
                    .as("once the holder is done").isInstanceOf(Step.PersistThenVoteYes.class);
        }

        @Test
        void aHolderOfAnotherCoordinatorStillMakesTheYoungerDie() {
            holdOnB(fromC.next(), work().put("x", "1").priority(100).build());

            assertThat(onB.prepare(fromA.next(), work().put("x", "2").priority(200).build(), versions))
                    .isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void transactionsCoordinatedByThisNodeItselfStillDie() {
            holdOnB(fromB.next(), work().put("x", "1").priority(100).build());

            assertThat(onB.prepare(fromB.next(), work().put("x", "2").priority(200).build(), versions))
                    .as("this node's own branches are locked by prepareLocally, not released before a decision")
                    .isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void theCoordinatorsOwnLockStepStillDies() {
            BranchId old = fromA.next();
            holdOnB(old, work().put("x", "1").priority(100).build());

            assertThat(onB.prepareLocally(fromA.next(), work().put("x", "2").priority(200).build(), versions, false))
                    .isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void aReadOnlyPrepareStillDies() {
            holdOnB(fromA.next(), work().put("x", "1").priority(100).build());

            assertThat(onB.prepare(fromA.next(), work().read("x", "v0").priority(200).build(), versions))
                    .as("a read-only transaction locked nothing on its coordinator").isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void idsOfAnotherFormatStillDie() {
            BranchId old = new BranchId(131077, Bytes.wrap(fromA.next().gtrid().unsafeArray()), Bytes.utf8("b"));
            BranchId young = new BranchId(131077, Bytes.wrap(fromA.next().gtrid().unsafeArray()), Bytes.utf8("b"));
            holdOnB(old, work().put("x", "1").priority(100).build());

            assertThat(onB.prepare(young, work().put("x", "2").priority(200).build(), versions)).isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void withoutItsNameANodeNeverWaitsForAnOlderPreparedHolder() {
            BranchId old = fromA.next();
            assertThat(p.prepare(old, work().put("x", "1").priority(100).build(), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
            p.persisted(old);

            assertThat(p.prepare(fromA.next(), work().put("x", "2").priority(200).build(), versions)).isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void anOlderHolderBeingRolledBackIsWaitedForByAnyone() {
            BranchId old = fromC.next();
            holdOnB(old, work().put("x", "1").priority(100).build());
            onB.rollback(old);

            assertThat(onB.prepare(fromA.next(), work().put("x", "2").priority(200).build(), versions)).isInstanceOf(Step.Wait.class);
        }
    }
}
