package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.commitFully;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static io.quarkiverse.level2pc.core.CoreFixtures.prepareDurably;
import static io.quarkiverse.level2pc.core.CoreFixtures.rollbackFully;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.CoreFixtures.Versions;

/**
 * The participant after something went wrong: a record that could not be written (abandon), a commit or
 * rollback that failed (retryLater), a restart (restore), misuse of finished, and the bounded memory of outcomes.
 */
class ParticipantRecoveryTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final BranchId T3 = branch("tx-3");

    private final Participant p = new Participant(1_000);
    private final Versions versions = new Versions().set("x", "v0").set("y", "v0");


    /** The coordinator's own branch, locked and committed (no prepare record). */
    private void commitLocally(Participant on, BranchId id, TxWork w) {
        assertThat(on.prepareLocally(id, w, versions, false)).isEqualTo(new Step.Locked(id));
        assertThat(on.commit(id)).isEqualTo(new Step.Apply(id, w, false));
        on.finished(id, Outcome.COMMITTED);
    }

    private void assertNoLocks() {
        assertThat(p.locks().writeLockCount()).isZero();
        assertThat(p.locks().readLockCount()).isZero();
    }

    @Nested
    class Abandon {

        @Test
        void abandonForgetsAPreparedBranchAndReleasesItsLocks() {
            p.prepare(T1, work().read("r", "").put("x", "1").build(), versions);

            p.abandon(T1);

            assertThat(p.state(T1)).isNull();
            assertThat(p.outcome(T1)).as("an abandoned branch has no outcome").isNull();
            assertNoLocks();
            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
        }

        @Test
        void abandonDoesNotTouchACommittingBranch() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            p.abandon(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void abandonDoesNotTouchABranchWhoseRecordIsDurable() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            p.abandon(T1);

            assertThat(p.state(T1)).as("a durable record would be restored after a restart").isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void abandonDoesNotReleaseTheCoordinatorsOwnBranch() {
            p.prepareLocally(T1, work().put("x", "1").build(), versions, false);

            p.abandon(T1);

            assertThat(p.state(T1)).as("only a rollback releases it").isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void abandonOfAnUnknownBranchDoesNothing() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            p.abandon(T2);

            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }
    }

    @Nested
    class RetryLater {

        @Test
        void retryLaterPutsAFailedCommitOfAPreparedBranchBackToPreparedWithItsLocks() {
            TxWork w = prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            p.retryLater(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.prepared()).containsExactly(T1);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
            assertThat(p.commit(T1)).as("the coordinator's retry applies it again").isEqualTo(new Step.Apply(T1, w, true));
        }

        @Test
        void retryLaterPutsAFailedRollbackBackToPrepared() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.rollback(T1);

            p.retryLater(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1, true));
        }

        @Test
        void retryLaterKeepsAFailedCommitOfTheCoordinatorsOwnBranchLockedUntilItsOutcomeIsKnown() {
            TxWork w = work().put("x", "1").build();
            p.prepareLocally(T1, w, versions, false);
            assertThat(p.commit(T1)).isEqualTo(new Step.Apply(T1, w, false));

            p.retryLater(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).as("a failed write may still surface: the keys stay locked").isEqualTo(T1);
            assertThat(p.prepared()).as("no record: not in doubt here").isEmpty();
            assertThat(p.outcome(T1)).isNull();
            assertThat(p.commit(T1)).as("the commit is tried again").isEqualTo(new Step.Apply(T1, w, false));
        }

        @Test
        void retryLaterOfAnUnknownBranchDoesNothing() {
            p.retryLater(T1);

            assertThat(p.state(T1)).isNull();
            assertNoLocks();
        }
    }

    @Nested
    class Restore {

        @Test
        void restoreRetakesTheLocksOfAPreparedBranch() {
            TxWork w = work().read("r", "v0").put("x", "1").build();

            p.restore(T1, w);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.prepared()).containsExactly(T1);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
            assertThat(p.prepare(T2, work().put("r", "2").build(), versions))
                    .as("the restored read lock blocks a writer")
                    .isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("r"), T1)));
        }

        @Test
        void aRestoredBranchIsDurableSoADuplicatePrepareVotesYesAtOnce() {
            TxWork w = work().put("x", "1").build();
            p.restore(T1, w);

            assertThat(p.prepare(T1, w, versions)).isEqualTo(new Step.PersistThenVoteYes(T1, w, true));
        }

        @Test
        void aRestoredBranchCommitsByApplyingAndDeletingItsRecord() {
            TxWork w = work().put("x", "1").build();
            p.restore(T1, w);

            assertThat(p.commit(T1)).isEqualTo(new Step.Apply(T1, w, true));
        }

        @Test
        void aRestoredBranchCanBeRolledBack() {
            p.restore(T1, work().put("x", "1").build());

            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1, true));
        }

        @Test
        void aRestoredBranchThatCouldNotBeAdoptedIsForgottenWithItsLocks() {
            p.restore(T1, work().read("r", "v0").put("x", "1").build());

            p.abandonRestored(T1);

            assertThat(p.state(T1)).isNull();
            assertThat(p.outcome(T1)).isNull();
            assertThat(p.prepared()).isEmpty();
            assertNoLocks();
        }

        @Test
        void abandonRestoredLeavesABranchThatIsCompletingAlone() {
            p.restore(T1, work().put("x", "1").build());
            p.commit(T1);

            p.abandonRestored(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void aRestoredBranchThatWasRolledBackCanNotBePreparedAgain() {
            TxWork w = work().put("x", "1").build();
            p.restore(T1, w);
            rollbackFully(p, T1);

            assertThat(p.prepare(T1, w, versions)).isInstanceOf(Step.Refused.class);
            assertNoLocks();
        }

        @Test
        void restoringRecordsThatWriteTheSameKeyThrows() {
            p.restore(T1, work().put("x", "1").build());

            assertThatThrownBy(() -> p.restore(T2, work().put("x", "2").build()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(T2.toString())
                    .hasMessageContaining("conflicts");
            assertThat(p.state(T2)).isNull();
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void restoringARecordThatWritesAKeyAnotherRecordReadThrows() {
            p.restore(T1, work().read("x", "v0").put("a", "1").build());

            assertThatThrownBy(() -> p.restore(T2, work().put("x", "2").build())).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void restoringTheSameBranchTwiceThrows() {
            p.restore(T1, work().put("x", "1").build());

            assertThatThrownBy(() -> p.restore(T1, work().put("x", "1").build()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("twice");
        }

        @Test
        void restoringRecordsThatOnlyShareReadKeysSucceeds() {
            p.restore(T1, work().read("x", "v0").put("a", "1").build());
            p.restore(T2, work().read("x", "v0").put("b", "1").build());

            assertThat(p.prepared()).containsExactlyInAnyOrder(T1, T2);
        }
    }

    @Nested
    class Finished {

        @Test
        void finishedOfAnUnknownBranchThrows() {
            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not in progress");
        }

        @Test
        void finishedCommittedOfABranchThatWasOnlyPreparedThrowsAndKeepsItPrepared() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PREPARED");
            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void finishedRolledBackOfACommittingBranchThrows() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.ROLLED_BACK)).isInstanceOf(IllegalStateException.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }

        @Test
        void finishedCommittedOfABranchRollingBackThrows() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED)).isInstanceOf(IllegalStateException.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
        }

        @Test
        void finishedTwiceThrows() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            commitFully(p, T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class OutcomeMemory {

        @Test
        void outcomesAreRememberedUpToTheBoundAndTheOldestForgottenFirst() {
            Participant small = new Participant(2);
            for (BranchId id : new BranchId[] { T1, T2, T3 }) {
                commitLocally(small, id, work().put(id.gtrid().toUtf8(), "v").build());
            }

            assertThat(small.outcome(T1)).isNull();
            assertThat(small.commit(T1)).as("forgotten: falls back to unknown").isEqualTo(new Step.Unknown(T1));
            assertThat(small.commit(T2)).isEqualTo(new Step.AlreadyDone(T2, Outcome.COMMITTED));
            assertThat(small.commit(T3)).isEqualTo(new Step.AlreadyDone(T3, Outcome.COMMITTED));
        }

        @Test
        void aBoundOfZeroRemembersNoOutcome() {
            Participant none = new Participant(0);
            commitLocally(none, T1, work().put("x", "1").build());
            assertThat(none.rollback(T2)).isEqualTo(new Step.Unknown(T2));

            assertThat(none.outcome(T1)).isNull();
            assertThat(none.commit(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(none.outcome(T2)).as("not even a rollback of an unknown branch").isNull();
        }

        @Test
        void rolledBackUnknownBranchesShareTheBoundWithFinishedOnes() {
            Participant small = new Participant(2);
            commitLocally(small, T1, work().put("x", "1").build());
            small.rollback(T2);
            small.rollback(T3);

            assertThat(small.outcome(T1)).as("pushed out by the two remembered rollbacks").isNull();
            assertThat(small.outcome(T2)).isEqualTo(Outcome.ROLLED_BACK);
            assertThat(small.outcome(T3)).isEqualTo(Outcome.ROLLED_BACK);
        }

        @Test
        void aNegativeBoundIsRejected() {
            assertThatThrownBy(() -> new Participant(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("rememberedOutcomes");
        }
    }
}
