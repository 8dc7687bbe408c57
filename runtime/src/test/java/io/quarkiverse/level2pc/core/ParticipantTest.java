package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.CoreFixtures.Versions;

/** The participant state machine, one rule per test. */
class ParticipantTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final BranchId T3 = branch("tx-3");

    private final Participant p = new Participant(1_000);
    private final Versions versions = new Versions().set("x", "v0").set("y", "v0");

    /** Prepares {@code id} and plays the caller that synced the record, as the step asks. */
    private TxWork prepareDurably(BranchId id, TxWork w) {
        Step s = p.prepare(id, w, versions);
        assertThat(s).isEqualTo(new Step.PersistThenVoteYes(id, w, false));
        p.persisted(id);
        return w;
    }

    private void commitFully(BranchId id) {
        assertThat(p.commit(id)).isInstanceOf(Step.Apply.class);
        p.finished(id, Outcome.COMMITTED);
    }

    private void rollbackFully(BranchId id) {
        assertThat(p.rollback(id)).isEqualTo(new Step.Discard(id));
        p.finished(id, Outcome.ROLLED_BACK);
    }

    private void assertNoLocks() {
        assertThat(p.locks().writeLockCount()).isZero();
        assertThat(p.locks().readLockCount()).isZero();
    }

    @Nested
    class Prepare {

        @Test
        void prepareWithUnchangedReadVersionsAsksToPersistTheRecordBeforeVotingYes() {
            TxWork w = work().read("x", "v0").put("y", "1").build();

            Step s = p.prepare(T1, w, versions);

            assertThat(s).isEqualTo(new Step.PersistThenVoteYes(T1, w, false));
            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.prepared()).containsExactly(T1);
            assertThat(p.work(T1)).isSameAs(w);
        }

        @Test
        void prepareTakesAnExclusiveLockOnEveryWrittenKeyAndASharedLockOnEveryReadKey() {
            prepareDurably(T1, work().read("x", "v0").put("y", "1").delete("z").build());

            assertThat(p.writeLockHolder(key("y"))).isEqualTo(T1);
            assertThat(p.writeLockHolder(key("z"))).isEqualTo(T1);
            assertThat(p.writeLockHolder(key("x"))).as("a read key is not locked exclusively").isNull();
            assertThat(p.locks().writeLockCount()).isEqualTo(2);
            assertThat(p.locks().readLockCount()).isEqualTo(1);
        }

        @Test
        void prepareVotesNoWithVersionChangedWhenAReadKeyChangedSinceItWasRead() {
            versions.set("x", "v1");
            TxWork w = work().read("x", "v0").put("y", "1").build();

            Step s = p.prepare(T1, w, versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
            assertThat(p.state(T1)).isNull();
            assertThat(p.locks().holdsLocks(T1)).as("a NO vote keeps no locks").isFalse();
            assertNoLocks();
        }

        @Test
        void prepareVotesNoWhenAKeyReadAsAbsentNowExists() {
            Step s = p.prepare(T1, work().readAbsent("x").put("y", "1").build(), versions);

            assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class,
                    no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.VERSION_CHANGED));
        }

        @Test
        void prepareVotesNoWhenAKeyReadAsPresentWasDeletedSince() {
            versions.remove("x");

            Step s = p.prepare(T1, work().read("x", "v0").put("y", "1").build(), versions);

            assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class,
                    no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.VERSION_CHANGED));
        }

        @Test
        void prepareAcceptsAKeyReadAsAbsentThatIsStillAbsent() {
            Step s = p.prepare(T1, work().readAbsent("new").put("new", "1").build(), versions);

            assertThat(s).isInstanceOf(Step.PersistThenVoteYes.class);
        }

        @Test
        void prepareVotesNoLockedWhenAnotherPreparedBranchWritesTheSameKey() {
            prepareDurably(T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().put("x", "2").put("y", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
            assertThat(p.locks().holdsLocks(T2)).isFalse();
            assertThat(p.writeLockHolder(key("y"))).as("all-or-nothing: no lock of the loser survives").isNull();
        }

        @Test
        void prepareVotesNoLockedWhenWritingAKeyAnotherPreparedBranchRead() {
            prepareDurably(T1, work().read("x", "v0").put("y", "1").build());

            Step s = p.prepare(T2, work().put("x", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void prepareVotesNoLockedWhenReadingAKeyAnotherPreparedBranchWrites() {
            prepareDurably(T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").put("y", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void preparedBranchesMayShareReadLocks() {
            prepareDurably(T1, work().read("x", "v0").put("a", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").put("b", "1").build(), versions);

            assertThat(s).isInstanceOf(Step.PersistThenVoteYes.class);
            assertThat(p.prepared()).containsExactlyInAnyOrder(T1, T2);
        }

        @Test
        void aLockConflictIsReportedEvenWhenTheVersionAlsoChanged() {
            prepareDurably(T1, work().put("x", "1").build());
            versions.set("x", "v9");

            Step s = p.prepare(T2, work().read("x", "v0").put("y", "1").build(), versions);

            assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class,
                    no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.LOCKED));
        }

        @Test
        void aConflictNamesTheKeyAndTheHolderInItsDescription() {
            Conflict c = new Conflict(Conflict.Kind.LOCKED, key("acct-7"), T1);
            assertThat(c.describe()).contains("acct-7").contains(T1.toString());
            assertThat(new Conflict(Conflict.Kind.VERSION_CHANGED, key("acct-7"), null).describe())
                    .contains("acct-7").contains("changed");
        }

        @Test
        void duplicatePrepareOfADurablyPreparedBranchVotesYesWithoutPersistingAgain() {
            TxWork w = prepareDurably(T1, work().put("x", "1").build());

            Step dup = p.prepare(T1, w, versions);

            assertThat(dup).isEqualTo(new Step.PersistThenVoteYes(T1, w, true));
            assertThat(p.locks().writeLockCount()).isEqualTo(1);
        }

        @Test
        void duplicatePrepareAnswersWithTheWorkFirstPrepared() {
            TxWork first = prepareDurably(T1, work().put("x", "1").build());

            Step dup = p.prepare(T1, work().put("other", "2").build(), versions);

            assertThat(dup).isEqualTo(new Step.PersistThenVoteYes(T1, first, true));
            assertThat(p.writeLockHolder(key("other"))).isNull();
        }

        /**
         * Persist before you vote: while the first prepare's caller is still syncing the record, a
         * duplicate prepare must not be told the record is durable (a crash or a failed sync would
         * then lose a branch that voted YES).
         */
        @Test
        void duplicatePrepareWhileTheRecordIsNotYetDurableDoesNotVoteYes() {
            TxWork w = work().put("x", "1").build();
            assertThat(p.prepare(T1, w, versions)).isEqualTo(new Step.PersistThenVoteYes(T1, w, false));

            Step dup = p.prepare(T1, w, versions);

            assertThat(dup).isEqualTo(new Step.InProgress(T1));
            p.persisted(T1);
            assertThat(p.prepare(T1, w, versions)).isEqualTo(new Step.PersistThenVoteYes(T1, w, true));
        }

        @Test
        void secondPhaseCallsWhileTheRecordIsNotYetDurableWaitForIt() {
            TxWork w = work().put("x", "1").build();
            p.prepare(T1, w, versions);

            assertThat(p.rollback(T1)).as("rollback must not discard a record still being written").isEqualTo(new Step.InProgress(T1));
            assertThat(p.commit(T1)).isEqualTo(new Step.InProgress(T1));
            assertThat(p.commitOnePhase(T1, w, versions)).isEqualTo(new Step.InProgress(T1));
            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);

            p.persisted(T1);
            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1));
        }

        @Test
        void persistedOfABranchThatIsNotPreparedThrows() {
            assertThatThrownBy(() -> p.persisted(T1)).isInstanceOf(IllegalStateException.class).hasMessageContaining(T1.toString());
        }

        @Test
        void prepareOfABranchBeingCommittedIsRefused() {
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.prepare(T1, work().put("x", "1").build(), versions)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }

        @Test
        void prepareOfAFinishedBranchIsRefusedAndTakesNoLocks() {
            prepareDurably(T1, work().put("x", "1").build());
            commitFully(T1);

            Step s = p.prepare(T1, work().put("x", "1").build(), versions);

            assertThat(s).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("COMMITTED"));
            assertNoLocks();
        }

        @Test
        void prepareOfARolledBackBranchIsRefused() {
            prepareDurably(T1, work().put("x", "1").build());
            rollbackFully(T1);

            assertThat(p.prepare(T1, work().put("x", "1").build(), versions)).isInstanceOfSatisfying(Step.Refused.class,
                    r -> assertThat(r.reason()).contains("ROLLED_BACK"));
        }

        @Test
        void aNoVoteIsNotRememberedSoALaterPrepareOfTheSameBranchIsJudgedAfresh() {
            prepareDurably(T1, work().put("x", "1").build());
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.VoteNo.class);
            rollbackFully(T1);

            assertThat(p.rollback(T2)).as("a NO-voted branch is unknown").isEqualTo(new Step.Unknown(T2));
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void readOnlyWorkVotesReadOnlyAndTakesNoLocks() {
            Step s = p.prepare(T1, work().read("x", "v0").readAbsent("nope").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteReadOnly(T1));
            assertNoLocks();
            assertThat(p.state(T1)).isNull();
            assertThat(p.prepared()).isEmpty();
        }

        @Test
        void aReadOnlyBranchIsForgottenSoASecondPhaseFindsItUnknown() {
            p.prepare(T1, work().read("x", "v0").build(), versions);

            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.rollback(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.outcome(T1)).isNull();
        }

        @Test
        void readOnlyWorkWithAChangedVersionVotesNo() {
            versions.set("x", "v1");

            Step s = p.prepare(T1, work().read("x", "v0").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
        }

        @Test
        void readOnlyWorkReadingAKeyWriteLockedByAPreparedBranchVotesNoLocked() {
            prepareDurably(T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void readOnlyWorkReadingAKeyOnlyReadLockedByAnotherBranchVotesReadOnly() {
            prepareDurably(T1, work().read("x", "v0").put("y", "1").build());

            assertThat(p.prepare(T2, work().read("x", "v0").build(), versions)).isEqualTo(new Step.VoteReadOnly(T2));
            assertThat(p.locks().holdsLocks(T2)).isFalse();
        }

        @Test
        void emptyWorkVotesReadOnly() {
            assertThat(p.prepare(T1, work().build(), versions)).isEqualTo(new Step.VoteReadOnly(T1));
        }
    }

    @Nested
    class SecondPhase {

        @Test
        void commitOfAnUnknownBranchIsUnknown() {
            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
        }

        @Test
        void rollbackOfAnUnknownBranchIsUnknown() {
            assertThat(p.rollback(T1)).isEqualTo(new Step.Unknown(T1));
        }

        @Test
        void commitOfAPreparedBranchAsksToApplyItsWritesAndDeleteItsRecord() {
            TxWork w = prepareDurably(T1, work().put("x", "1").build());

            assertThat(p.commit(T1)).isEqualTo(new Step.Apply(T1, w, true));
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.prepared()).as("a committing branch is no longer in doubt").isEmpty();
        }

        @Test
        void aCommittingBranchKeepsItsLocksUntilFinished() {
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.VoteNo.class);

            p.finished(T1, Outcome.COMMITTED);

            assertThat(p.writeLockHolder(key("x"))).isNull();
            assertThat(p.state(T1)).isNull();
            assertThat(p.outcome(T1)).isEqualTo(Outcome.COMMITTED);
            assertNoLocks();
        }

        @Test
        void duplicateCommitWhileApplyingIsInProgress() {
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.commit(T1)).isEqualTo(new Step.InProgress(T1));
        }

        @Test
        void duplicateCommitAfterFinishedIsAlreadyDone() {
            prepareDurably(T1, work().put("x", "1").build());
            commitFully(T1);

            assertThat(p.commit(T1)).isEqualTo(new Step.AlreadyDone(T1, Outcome.COMMITTED));
        }

        @Test
        void commitAfterRollbackIsRefused() {
            prepareDurably(T1, work().put("x", "1").build());
            rollbackFully(T1);

            assertThat(p.commit(T1)).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("rolled back"));
        }

        @Test
        void commitWhileRollingBackIsRefusedAndDoesNotChangeTheState() {
            prepareDurably(T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThat(p.commit(T1)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
        }

        @Test
        void rollbackOfAPreparedBranchAsksToDiscardItsRecordAndKeepsLocksUntilFinished() {
            prepareDurably(T1, work().put("x", "1").build());

            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1));
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);

            p.finished(T1, Outcome.ROLLED_BACK);

            assertThat(p.outcome(T1)).isEqualTo(Outcome.ROLLED_BACK);
            assertNoLocks();
        }

        @Test
        void duplicateRollbackWhileDiscardingIsInProgress() {
            prepareDurably(T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThat(p.rollback(T1)).isEqualTo(new Step.InProgress(T1));
        }

        @Test
        void duplicateRollbackAfterFinishedIsAlreadyDone() {
            prepareDurably(T1, work().put("x", "1").build());
            rollbackFully(T1);

            assertThat(p.rollback(T1)).isEqualTo(new Step.AlreadyDone(T1, Outcome.ROLLED_BACK));
        }

        @Test
        void rollbackAfterCommitIsRefused() {
            prepareDurably(T1, work().put("x", "1").build());
            commitFully(T1);

            assertThat(p.rollback(T1)).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("committed"));
        }

        @Test
        void rollbackWhileCommittingIsRefusedAndDoesNotChangeTheState() {
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.rollback(T1)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }
    }

    @Nested
    class OnePhase {

        @Test
        void onePhaseCommitOfValidWorkAsksToApplyWithoutAPrepareRecord() {
            TxWork w = work().read("x", "v0").put("y", "1").build();

            assertThat(p.commitOnePhase(T1, w, versions)).isEqualTo(new Step.Apply(T1, w, false));
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.prepared()).isEmpty();
            assertThat(p.writeLockHolder(key("y"))).as("locks held until the apply is durable").isEqualTo(T1);
        }

        @Test
        void onePhaseCommitVotesNoWhenAReadVersionChanged() {
            versions.set("x", "v1");

            Step s = p.commitOnePhase(T1, work().read("x", "v0").put("y", "1").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
            assertNoLocks();
            assertThat(p.outcome(T1)).isNull();
        }

        @Test
        void onePhaseCommitVotesNoLockedWhenAPreparedBranchHoldsAKeyItWrites() {
            prepareDurably(T1, work().put("x", "1").build());

            Step s = p.commitOnePhase(T2, work().put("x", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
            assertThat(p.locks().holdsLocks(T2)).isFalse();
        }

        @Test
        void aOnePhaseCommitInProgressMakesAConflictingPrepareVoteNo() {
            p.commitOnePhase(T1, work().put("x", "1").build(), versions);

            assertThat(p.prepare(T2, work().read("x", "v0").put("z", "1").build(), versions))
                    .isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void onePhaseCommitOfReadOnlyWorkIsAlreadyCommittedAndTakesNoLocks() {
            Step s = p.commitOnePhase(T1, work().read("x", "v0").build(), versions);

            assertThat(s).isEqualTo(new Step.AlreadyDone(T1, Outcome.COMMITTED));
            assertNoLocks();
            assertThat(p.state(T1)).isNull();
        }

        @Test
        void onePhaseCommitOfReadOnlyWorkWithAChangedVersionVotesNo() {
            versions.set("x", "v1");

            assertThat(p.commitOnePhase(T1, work().read("x", "v0").build(), versions)).isInstanceOf(Step.VoteNo.class);
        }

        @Test
        void onePhaseCommitOfAnAlreadyPreparedBranchCommitsItAndDeletesItsRecord() {
            TxWork w = prepareDurably(T1, work().put("x", "1").build());

            assertThat(p.commitOnePhase(T1, w, versions)).isEqualTo(new Step.Apply(T1, w, true));
        }

        @Test
        void duplicateOnePhaseCommitWhileApplyingIsInProgress() {
            TxWork w = work().put("x", "1").build();
            p.commitOnePhase(T1, w, versions);

            assertThat(p.commitOnePhase(T1, w, versions)).isEqualTo(new Step.InProgress(T1));
        }

        @Test
        void duplicateOnePhaseCommitAfterFinishedIsAlreadyDoneAndNotAppliedTwice() {
            TxWork w = work().put("x", "1").build();
            p.commitOnePhase(T1, w, versions);
            p.finished(T1, Outcome.COMMITTED);

            assertThat(p.commitOnePhase(T1, w, versions)).isEqualTo(new Step.AlreadyDone(T1, Outcome.COMMITTED));
            assertNoLocks();
        }

        @Test
        void onePhaseCommitOfARolledBackBranchIsRefused() {
            TxWork w = prepareDurably(T1, work().put("x", "1").build());
            rollbackFully(T1);

            assertThat(p.commitOnePhase(T1, w, versions)).isInstanceOf(Step.Refused.class);
            assertNoLocks();
        }
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
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            p.abandon(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void abandonDoesNotTouchABranchWhoseRecordIsDurable() {
            prepareDurably(T1, work().put("x", "1").build());

            p.abandon(T1);

            assertThat(p.state(T1)).as("a durable record would be restored after a restart").isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void abandonOfAnUnknownBranchDoesNothing() {
            prepareDurably(T1, work().put("x", "1").build());

            p.abandon(T2);

            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }
    }

    @Nested
    class RetryLater {

        @Test
        void retryLaterPutsAFailedCommitOfAPreparedBranchBackToPreparedWithItsLocks() {
            TxWork w = prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            p.retryLater(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.prepared()).containsExactly(T1);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
            assertThat(p.commit(T1)).as("the coordinator's retry applies it again").isEqualTo(new Step.Apply(T1, w, true));
        }

        @Test
        void retryLaterPutsAFailedRollbackBackToPrepared() {
            prepareDurably(T1, work().put("x", "1").build());
            p.rollback(T1);

            p.retryLater(T1);

            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1));
        }

        @Test
        void retryLaterForgetsAFailedOnePhaseCommitAndReleasesItsLocks() {
            p.commitOnePhase(T1, work().put("x", "1").build(), versions);

            p.retryLater(T1);

            assertThat(p.state(T1)).isNull();
            assertThat(p.outcome(T1)).isNull();
            assertNoLocks();
            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
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

            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1));
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
            prepareDurably(T1, work().put("x", "1").build());

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PREPARED");
            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        }

        @Test
        void finishedRolledBackOfACommittingBranchThrows() {
            prepareDurably(T1, work().put("x", "1").build());
            p.commit(T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.ROLLED_BACK)).isInstanceOf(IllegalStateException.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }

        @Test
        void finishedCommittedOfABranchRollingBackThrows() {
            prepareDurably(T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED)).isInstanceOf(IllegalStateException.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
        }

        @Test
        void finishedTwiceThrows() {
            prepareDurably(T1, work().put("x", "1").build());
            commitFully(T1);

            assertThatThrownBy(() -> p.finished(T1, Outcome.COMMITTED)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class OutcomeMemory {

        @Test
        void outcomesAreRememberedUpToTheBoundAndTheOldestForgottenFirst() {
            Participant small = new Participant(2);
            for (BranchId id : new BranchId[] { T1, T2, T3 }) {
                small.commitOnePhase(id, work().put(id.gtrid().toUtf8(), "v").build(), versions);
                small.finished(id, Outcome.COMMITTED);
            }

            assertThat(small.outcome(T1)).isNull();
            assertThat(small.commit(T1)).as("forgotten: falls back to unknown").isEqualTo(new Step.Unknown(T1));
            assertThat(small.commit(T2)).isEqualTo(new Step.AlreadyDone(T2, Outcome.COMMITTED));
            assertThat(small.commit(T3)).isEqualTo(new Step.AlreadyDone(T3, Outcome.COMMITTED));
        }

        @Test
        void aBoundOfZeroRemembersNoOutcome() {
            Participant none = new Participant(0);
            none.commitOnePhase(T1, work().put("x", "1").build(), versions);
            none.finished(T1, Outcome.COMMITTED);

            assertThat(none.outcome(T1)).isNull();
            assertThat(none.commit(T1)).isEqualTo(new Step.Unknown(T1));
        }

        @Test
        void aNegativeBoundIsRejected() {
            assertThatThrownBy(() -> new Participant(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("rememberedOutcomes");
        }
    }
}
