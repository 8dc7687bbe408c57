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
 * The participant state machine, one rule per test: prepare, read-only branches and the second phase. All
 * branches here have priority 0, so the tie is broken by the global id: tx-1 is older than tx-2, and a
 * later branch colliding with an earlier one votes NO at once (wait-die, see {@link ParticipantWaitDieTest}).
 */
class ParticipantTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");

    private final Participant p = new Participant(1_000);
    private final Versions versions = new Versions().set("x", "v0").set("y", "v0");


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
            prepareDurably(p, versions, T1, work().read("x", "v0").put("y", "1").delete("z").build());

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
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().put("x", "2").put("y", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
            assertThat(p.locks().holdsLocks(T2)).isFalse();
            assertThat(p.writeLockHolder(key("y"))).as("all-or-nothing: no lock of the loser survives").isNull();
        }

        @Test
        void prepareVotesNoLockedWhenWritingAKeyAnotherPreparedBranchRead() {
            prepareDurably(p, versions, T1, work().read("x", "v0").put("y", "1").build());

            Step s = p.prepare(T2, work().put("x", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void prepareVotesNoLockedWhenReadingAKeyAnotherPreparedBranchWrites() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").put("y", "2").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void preparedBranchesMayShareReadLocks() {
            prepareDurably(p, versions, T1, work().read("x", "v0").put("a", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").put("b", "1").build(), versions);

            assertThat(s).isInstanceOf(Step.PersistThenVoteYes.class);
            assertThat(p.prepared()).containsExactlyInAnyOrder(T1, T2);
        }

        @Test
        void aLockConflictIsReportedEvenWhenTheVersionAlsoChanged() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
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
            TxWork w = prepareDurably(p, versions, T1, work().put("x", "1").build());

            Step dup = p.prepare(T1, w, versions);

            assertThat(dup).isEqualTo(new Step.PersistThenVoteYes(T1, w, true));
            assertThat(p.locks().writeLockCount()).isEqualTo(1);
        }

        @Test
        void duplicatePrepareAnswersWithTheWorkFirstPrepared() {
            TxWork first = prepareDurably(p, versions, T1, work().put("x", "1").build());

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
            assertThat(p.prepare(T1, w, versions)).as("a duplicate prepare").isEqualTo(new Step.InProgress(T1));
            assertThat(p.state(T1)).isEqualTo(Participant.State.PREPARED);

            p.persisted(T1);
            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1, true));
        }

        @Test
        void persistedOfABranchThatIsNotPreparedThrows() {
            assertThatThrownBy(() -> p.persisted(T1)).isInstanceOf(IllegalStateException.class).hasMessageContaining(T1.toString());
        }

        @Test
        void prepareOfABranchBeingCommittedIsRefused() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.prepare(T1, work().put("x", "1").build(), versions)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }

        @Test
        void prepareOfAFinishedBranchIsRefusedAndTakesNoLocks() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            commitFully(p, T1);

            Step s = p.prepare(T1, work().put("x", "1").build(), versions);

            assertThat(s).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("COMMITTED"));
            assertNoLocks();
        }

        @Test
        void prepareOfARolledBackBranchIsRefused() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            rollbackFully(p, T1);

            assertThat(p.prepare(T1, work().put("x", "1").build(), versions)).isInstanceOfSatisfying(Step.Refused.class,
                    r -> assertThat(r.reason()).contains("ROLLED_BACK"));
        }

        @Test
        void aNoVoteIsNotRememberedSoALaterPrepareOfTheSameBranchIsJudgedAfresh() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.VoteNo.class);
            assertThat(p.outcome(T2)).isNull();
            rollbackFully(p, T1);

            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
        }

        @Test
        void preparedListsOnlyBranchesWithAPrepareRecord() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            assertThat(p.prepareLocally(T2, work().put("y", "1").build(), versions, false)).isEqualTo(new Step.Locked(T2));

            assertThat(p.prepared()).as("the coordinator's own branch is not in doubt").containsExactly(T1);
            assertThat(p.hasPrepareRecord(T1)).isTrue();
            assertThat(p.hasPrepareRecord(T2)).isFalse();
            assertThat(p.live()).containsOnlyKeys(T1, T2);
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

            assertThat(p.state(T1)).isNull();
            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.outcome(T1)).isNull();
            assertThat(p.rollback(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.outcome(T1)).as("a rollback of a branch not held here is remembered").isEqualTo(Outcome.ROLLED_BACK);
        }

        @Test
        void readOnlyWorkWithAChangedVersionVotesNo() {
            versions.set("x", "v1");

            Step s = p.prepare(T1, work().read("x", "v0").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.VERSION_CHANGED, key("x"), null)));
        }

        @Test
        void readOnlyWorkReadingAKeyWriteLockedByAPreparedBranchVotesNoLocked() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            Step s = p.prepare(T2, work().read("x", "v0").build(), versions);

            assertThat(s).isEqualTo(new Step.VoteNo(T2, new Conflict(Conflict.Kind.LOCKED, key("x"), T1)));
        }

        @Test
        void readOnlyWorkReadingAKeyOnlyReadLockedByAnotherBranchVotesReadOnly() {
            prepareDurably(p, versions, T1, work().read("x", "v0").put("y", "1").build());

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
        void commitOfAnUnknownBranchIsUnknownAndLeavesNoTrace() {
            assertThat(p.commit(T1)).isEqualTo(new Step.Unknown(T1));
            assertThat(p.outcome(T1)).isNull();
        }

        @Test
        void rollbackOfAnUnknownBranchIsUnknownButRememberedAsRolledBack() {
            assertThat(p.rollback(T1)).isEqualTo(new Step.Unknown(T1));

            assertThat(p.outcome(T1)).isEqualTo(Outcome.ROLLED_BACK);
            assertThat(p.rollback(T1)).as("a duplicate").isEqualTo(new Step.AlreadyDone(T1, Outcome.ROLLED_BACK));
            assertThat(p.commit(T1)).isInstanceOf(Step.Refused.class);
        }

        @Test
        void commitOfAPreparedBranchAsksToApplyItsWritesAndDeleteItsRecord() {
            TxWork w = prepareDurably(p, versions, T1, work().put("x", "1").build());

            assertThat(p.commit(T1)).isEqualTo(new Step.Apply(T1, w, true));
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
            assertThat(p.prepared()).as("a committing branch is no longer in doubt").isEmpty();
        }

        @Test
        void aCommittingBranchKeepsItsLocksUntilFinished() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
            assertThat(p.prepare(T2, work().put("x", "2").build(), versions)).as("a decided holder is waited for, whatever its age")
                    .isEqualTo(new Step.Wait(T2, key("x"), T1));

            p.finished(T1, Outcome.COMMITTED);

            assertThat(p.writeLockHolder(key("x"))).isNull();
            assertThat(p.state(T1)).isNull();
            assertThat(p.outcome(T1)).isEqualTo(Outcome.COMMITTED);
            assertNoLocks();
        }

        @Test
        void duplicateCommitWhileApplyingIsInProgress() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.commit(T1)).isEqualTo(new Step.InProgress(T1));
        }

        @Test
        void duplicateCommitAfterFinishedIsAlreadyDone() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            commitFully(p, T1);

            assertThat(p.commit(T1)).isEqualTo(new Step.AlreadyDone(T1, Outcome.COMMITTED));
        }

        @Test
        void commitAfterRollbackIsRefused() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            rollbackFully(p, T1);

            assertThat(p.commit(T1)).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("rolled back"));
        }

        @Test
        void commitWhileRollingBackIsRefusedAndDoesNotChangeTheState() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThat(p.commit(T1)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
        }

        @Test
        void rollbackOfAPreparedBranchAsksToDiscardItsRecordAndKeepsLocksUntilFinished() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());

            assertThat(p.rollback(T1)).isEqualTo(new Step.Discard(T1, true));
            assertThat(p.state(T1)).isEqualTo(Participant.State.ROLLING_BACK);
            assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);

            p.finished(T1, Outcome.ROLLED_BACK);

            assertThat(p.outcome(T1)).isEqualTo(Outcome.ROLLED_BACK);
            assertNoLocks();
        }

        @Test
        void duplicateRollbackWhileDiscardingIsInProgress() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.rollback(T1);

            assertThat(p.rollback(T1)).isEqualTo(new Step.InProgress(T1));
        }

        @Test
        void duplicateRollbackAfterFinishedIsAlreadyDone() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            rollbackFully(p, T1);

            assertThat(p.rollback(T1)).isEqualTo(new Step.AlreadyDone(T1, Outcome.ROLLED_BACK));
        }

        @Test
        void rollbackAfterCommitIsRefused() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            commitFully(p, T1);

            assertThat(p.rollback(T1)).isInstanceOfSatisfying(Step.Refused.class, r -> assertThat(r.reason()).contains("committed"));
        }

        @Test
        void rollbackWhileCommittingIsRefusedAndDoesNotChangeTheState() {
            prepareDurably(p, versions, T1, work().put("x", "1").build());
            p.commit(T1);

            assertThat(p.rollback(T1)).isInstanceOf(Step.Refused.class);
            assertThat(p.state(T1)).isEqualTo(Participant.State.COMMITTING);
        }
    }
}
