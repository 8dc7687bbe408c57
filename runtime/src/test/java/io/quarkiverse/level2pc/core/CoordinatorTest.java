package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The coordinator's bookkeeping: votes, the decision, acknowledgements, aborts and the callback answer. */
class CoordinatorTest {

    private static final String P1 = "http://127.0.0.1:8081";
    private static final String P2 = "http://127.0.0.1:8082";
    private static final String P3 = "http://127.0.0.1:8083";
    private static final BranchId TX = branch("tx-1");
    private static final Bytes G = TX.gtrid();

    private final Coordinator c = new Coordinator();

    /** Begins TX with the given peers, locks the local branch and has every peer vote YES: returns the Commit. */
    private Coordinator.Commit allYes(String... peers) {
        c.begin(TX, List.of(peers), false);
        Coordinator.Next next = c.localLocked(G);
        for (String p : peers) {
            next = c.voted(G, p, false);
        }
        assertThat(next).isInstanceOf(Coordinator.Commit.class);
        return (Coordinator.Commit) next;
    }

    @Nested
    class Voting {

        @Test
        void itCommitsOnlyWhenTheLocalBranchAndEveryPeerVotedYes() {
            c.begin(TX, List.of(P1, P2), false);

            assertThat(c.voted(G, P1, false)).isEqualTo(new Coordinator.Await());
            assertThat(c.localLocked(G)).as("P2 has not voted").isEqualTo(new Coordinator.Await());
            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.PREPARING);

            Coordinator.Next next = c.voted(G, P2, false);

            assertThat(next).isEqualTo(new Coordinator.Commit(new Decision(G, Map.of(P1, TX, P2, TX))));
            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.DECIDING);
        }

        @Test
        void theLastYesMayBeTheLocalBranch() {
            c.begin(TX, List.of(P1), false);
            assertThat(c.voted(G, P1, false)).isEqualTo(new Coordinator.Await());

            assertThat(c.localLocked(G)).isInstanceOf(Coordinator.Commit.class);
        }

        @Test
        void aTransactionWithoutPeersCommitsOnceItsLocalBranchIsLocked() {
            c.begin(TX, List.of(), false);

            assertThat(c.localLocked(G)).isEqualTo(new Coordinator.Commit(new Decision(G, Map.of())));
        }

        @Test
        void aReadOnlyPeerCountsAsYesButIsNotInTheDecision() {
            c.begin(TX, List.of(P1, P2), false);
            c.localLocked(G);
            c.voted(G, P1, true);

            assertThat(c.voted(G, P2, false)).isEqualTo(new Coordinator.Commit(new Decision(G, Map.of(P2, TX))));
        }

        @Test
        void aSecondVoteOfAPeerOrAVoteOfAStrangerIsRefused() {
            c.begin(TX, List.of(P1, P2), false);
            c.voted(G, P1, false);

            assertThatThrownBy(() -> c.voted(G, P1, false)).isInstanceOf(IllegalStateException.class).hasMessageContaining(P1);
            assertThatThrownBy(() -> c.voted(G, P3, false)).isInstanceOf(IllegalStateException.class).hasMessageContaining(P3);
        }

        @Test
        void beginningATransactionTwiceIsRefused() {
            c.begin(TX, List.of(P1), false);

            assertThatThrownBy(() -> c.begin(TX, List.of(P1), false)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void lateCallsForATransactionNoLongerRunningAreIgnored() {
            // A vote or a refusal arriving after the transaction was rolled back and forgotten changes nothing.
            assertThat(c.localLocked(G)).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
            assertThat(c.voted(G, P1, false)).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
            assertThat(c.refused(G, P1, true, "late")).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.UNKNOWN);
        }

        @Test
        void votesArrivingAfterTheDecisionAreIgnored() {
            c.begin(TX, List.of(P1, P2), false);
            c.refused(G, P1, false, "NO");

            assertThat(c.voted(G, P2, false)).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
            assertThat(c.localLocked(G)).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
        }
    }

    @Nested
    class Decisions {

        @Test
        void theDecisionIsKeptOnlyOnceDurableAndTheNamedPeersAreThenCommitted() {
            Coordinator.Commit commit = allYes(P1, P2);
            assertThat(c.hasDecision(G)).as("not durable yet").isFalse();
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.IN_PROGRESS);

            assertThat(c.decisionDurable(commit.decision())).containsExactlyInAnyOrder(P1, P2);

            assertThat(c.hasDecision(G)).isTrue();
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.COMMITTED);
            assertThat(c.phase(G)).as("no longer running").isNull();
            assertThat(c.runningCount()).isZero();
            assertThat(c.decisions()).containsExactly(commit.decision());
        }

        @Test
        void aDecisionDurableOutsideDecidingIsRefused() {
            c.begin(TX, List.of(P1), false);

            assertThatThrownBy(() -> c.decisionDurable(new Decision(G, Map.of(P1, TX)))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PREPARING");
        }

        @Test
        void acknowledgementsShrinkTheDecisionUntilItIsSettled() {
            c.decisionDurable(allYes(P1, P2).decision());

            Decision rest = c.acknowledged(G, P1);

            assertThat(rest).isEqualTo(new Decision(G, Map.of(P2, TX)));
            assertThat(rest.isSettled()).isFalse();
            assertThat(c.decisions()).containsExactly(rest);
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.COMMITTED);

            Decision last = c.acknowledged(G, P2);

            assertThat(last.isSettled()).isTrue();
            assertThat(c.hasDecision(G)).isFalse();
            assertThat(c.outcomeOf(G)).as("forgotten: presumed abort from now on").isEqualTo(Outcome.UNKNOWN);
        }

        @Test
        void aDuplicateOrUnknownAcknowledgementChangesNothing() {
            c.decisionDurable(allYes(P1, P2).decision());
            c.acknowledged(G, P1);

            assertThat(c.acknowledged(G, P1)).isNull();
            assertThat(c.acknowledged(G, P3)).isNull();
            assertThat(c.acknowledged(Bytes.utf8("other"), P1)).isNull();
            assertThat(c.decisions()).containsExactly(new Decision(G, Map.of(P2, TX)));
        }

        @Test
        void aSettledDecisionIsNotKept() {
            c.begin(TX, List.of(P1), false);
            c.localLocked(G);
            Coordinator.Next next = c.voted(G, P1, true);

            assertThat(c.decisionDurable(((Coordinator.Commit) next).decision())).isEmpty();
            assertThat(c.hasDecision(G)).isFalse();
        }

        @Test
        void restoredDecisionsAreKeptExceptSettledOnes() {
            Decision open = new Decision(G, Map.of(P1, TX));
            Decision settled = new Decision(Bytes.utf8("tx-2"), Map.of());

            c.restore(List.of(open, settled));

            assertThat(c.decisions()).containsExactly(open);
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.COMMITTED);
            assertThat(c.outcomeOf(Bytes.utf8("tx-2"))).isEqualTo(Outcome.UNKNOWN);
            assertThatThrownBy(() -> c.begin(TX, List.of(P1), false)).as("a transaction with a kept decision can not begin again")
                    .isInstanceOf(IllegalStateException.class);
            assertThat(c.acknowledged(G, P1).isSettled()).as("its peers are committed again and acknowledge").isTrue();
            assertThat(c.decisions()).isEmpty();
        }

        @Test
        void anAbortRequestedAfterTheDecisionIsIgnored() {
            Coordinator.Commit commit = allYes(P1);

            assertThat(c.abortRequested(G, "timeout")).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.DECIDING));
            c.decisionDurable(commit.decision());
            assertThat(c.abortRequested(G, "timeout")).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.COMMITTED));
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.COMMITTED);
        }
    }

    @Nested
    class Aborts {

        @Test
        void aNoVoteAbortsAndListsThePeersThatMayHoldTheBranch() {
            c.begin(TX, List.of(P1, P2, P3), false);
            c.voted(G, P1, false);

            Coordinator.Next next = c.refused(G, P2, false, "P2 said NO");

            assertThat(next).as("P1 voted YES, P3 is still awaited; P2's definite NO holds nothing")
                    .isEqualTo(new Coordinator.Abort(List.of(P1, P3), "P2 said NO"));
            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.ROLLING_BACK);
        }

        @Test
        void aPeerWhoseAnswerWasLostIsRolledBack() {
            c.begin(TX, List.of(P1, P2), false);

            Coordinator.Next next = c.refused(G, P1, true, "timed out");

            assertThat(next).isEqualTo(new Coordinator.Abort(List.of(P1, P2), "timed out"));
        }

        @Test
        void aReadOnlyPeerHoldsNothingAndIsNotRolledBack() {
            c.begin(TX, List.of(P1, P2), false);
            c.voted(G, P1, true);

            assertThat(c.refused(G, null, false, "local conflict")).isEqualTo(new Coordinator.Abort(List.of(P2), "local conflict"));
        }

        @Test
        void theLocalBranchRefusingAbortsWithEveryPeerStillAwaited() {
            c.begin(TX, List.of(P1, P2), false);

            assertThat(c.refused(G, null, false, "conflict")).isEqualTo(new Coordinator.Abort(List.of(P1, P2), "conflict"));
        }

        @Test
        void aLostAnswerAfterTheAbortIsIgnored() {
            c.begin(TX, List.of(P1, P2), false);
            c.refused(G, P1, false, "NO");

            assertThat(c.refused(G, P2, true, "lost")).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
        }

        @Test
        void anAbortRequestedWhileVotesAreAwaitedIsGranted() {
            c.begin(TX, List.of(P1, P2), false);
            c.voted(G, P1, false);

            assertThat(c.abortRequested(G, "timeout")).isEqualTo(new Coordinator.Abort(List.of(P1, P2), "timeout"));
        }

        @Test
        void rolledBackForgetsTheTransaction() {
            c.begin(TX, List.of(P1), false);
            c.refused(G, P1, false, "NO");
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.ROLLED_BACK);

            c.rolledBack(G);

            assertThat(c.phase(G)).isNull();
            assertThat(c.runningCount()).isZero();
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.UNKNOWN);
            assertThat(c.abortRequested(G, "again")).isEqualTo(new Coordinator.Ignore(Coordinator.Phase.ROLLING_BACK));
        }

        @Test
        void rolledBackOfATransactionThatIsNotRollingBackDoesNothing() {
            c.begin(TX, List.of(P1), false);

            c.rolledBack(G);
            c.rolledBack(Bytes.utf8("unknown"));

            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.PREPARING);
        }
    }

    @Nested
    class ExternallyDecided {

        @Test
        void everyYesLeadsToPreparedAndTheManagersCommitToTheDecision() {
            c.begin(TX, List.of(P1), true);
            c.localLocked(G);

            assertThat(c.voted(G, P1, false)).isEqualTo(new Coordinator.Prepared());
            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.PREPARED);
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.IN_PROGRESS);

            assertThat(c.commitRequested(G)).isEqualTo(new Coordinator.Commit(new Decision(G, Map.of(P1, TX))));
            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.DECIDING);
        }

        @Test
        void aCommitRequestBeforePreparedIsRefused() {
            c.begin(TX, List.of(P1), true);

            assertThatThrownBy(() -> c.commitRequested(G)).isInstanceOf(IllegalStateException.class).hasMessageContaining("PREPARING");
        }

        @Test
        void aCommitRequestOfATransactionDecidedHereIsRefused() {
            c.begin(TX, List.of(P1), false);
            c.localLocked(G);
            c.voted(G, P1, false);

            assertThatThrownBy(() -> c.commitRequested(G)).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void theManagerMayAbortInPrepared() {
            c.begin(TX, List.of(P1, P2), true);
            c.localLocked(G);
            c.voted(G, P1, false);
            c.voted(G, P2, true);

            assertThat(c.abortRequested(G, "manager rolled back")).isEqualTo(new Coordinator.Abort(List.of(P1), "manager rolled back"));
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.ROLLED_BACK);
        }
    }

    @Nested
    class OutcomeOf {

        @Test
        void itIsInProgressWhilePreparingAndDeciding() {
            c.begin(TX, List.of(P1), false);
            assertThat(c.outcomeOf(G)).isEqualTo(Outcome.IN_PROGRESS);
            c.localLocked(G);
            c.voted(G, P1, false);

            assertThat(c.phase(G)).isEqualTo(Coordinator.Phase.DECIDING);
            assertThat(c.outcomeOf(G)).as("never COMMITTED before the decision is durable").isEqualTo(Outcome.IN_PROGRESS);
        }

        @Test
        void aTransactionNeverSeenIsUnknown() {
            assertThat(c.outcomeOf(Bytes.utf8("never"))).isEqualTo(Outcome.UNKNOWN);
        }

        @Test
        void aCommittedTransactionWithoutPeersIsForgottenAtOnce() {
            c.begin(TX, List.of(), false);
            Coordinator.Commit commit = (Coordinator.Commit) c.localLocked(G);

            assertThat(c.decisionDurable(commit.decision())).isEmpty();

            assertThat(c.outcomeOf(G)).as("nobody will ask").isEqualTo(Outcome.UNKNOWN);
        }
    }
}
