package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.CoordinatorHarness.B;
import static io.quarkiverse.level2pc.node.CoordinatorHarness.C;
import static io.quarkiverse.level2pc.node.CoordinatorHarness.D;
import static io.quarkiverse.level2pc.node.CoordinatorHarness.E;
import static io.quarkiverse.level2pc.node.FakePeerLink.COMMIT;
import static io.quarkiverse.level2pc.node.FakePeerLink.PREPARE;
import static io.quarkiverse.level2pc.node.FakePeerLink.ROLLBACK;
import static io.quarkiverse.level2pc.node.NodeFixtures.externalBranch;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.MemoryStore;

/**
 * The coordinator's course of one transaction ({@link TxCoordinator#commit}) against peers played by hand:
 * prepares fanned out at once, the decision durable (with the local commit) before any commit is sent,
 * rollbacks that never overtake a prepare, acknowledgements, the callback site's answers, resends.
 */
class TxCoordinatorTest {

    private final CoordinatorHarness h = new CoordinatorHarness();
    private final FakePeerLink link = h.link;
    private final BranchId id = h.ids.next();
    private final TxWork w = work().put("x", "1").coordinator("a").build();

    @AfterEach
    void close() {
        h.close();
    }

    private static Decision decision(BranchId id, String... peers) {
        Map<String, BranchId> m = new HashMap<>();
        for (String p : peers) {
            m.put(p, id);
        }
        return new Decision(id.gtrid(), m);
    }

    @Test
    void preparesGoToEveryPeerAtOnceBeforeAnyAnswerAndTheLocalBranchHasNoRecord() {
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of(B, C, D));

        assertThat(link.log()).containsExactly("prepare " + B, "prepare " + C, "prepare " + D);
        assertThat(link.<Vote> calls(PREPARE)).allSatisfy(c -> {
            assertThat(c.branch).isEqualTo(id);
            assertThat(c.work).isEqualTo(w);
            assertThat(c.future).isNotDone();
        });
        assertThat(h.local.isWriteLocked(k("x"))).as("the local branch is locked").isTrue();
        assertThat(h.local.store().loadPrepared()).as("without a prepare record").isEmpty();
        assertThat(h.coordinator.outcomeOf(id)).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(result).isNotDone();
    }

    @Test
    void theDecisionNamingThePeersIsDurableBeforeAnyCommitIsSent() {
        List<String> seen = new ArrayList<>();
        link.onCall(c -> {
            if (c.op.equals(COMMIT)) {
                seen.add(c.peer + " sees " + h.local.store().loadDecisions() + ", x=" + str(h.local.store().get(k("x"))));
            }
        });
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of(B, C));

        h.vote(B, Vote.YES);
        assertThat(link.calls(COMMIT)).as("C has not voted yet").isEmpty();
        assertThat(h.local.store().loadDecisions()).isEmpty();
        h.vote(C, Vote.YES);

        Decision expected = decision(id, B, C);
        assertThat(seen).containsExactlyInAnyOrder(B + " sees " + List.of(expected) + ", x=1", C + " sees " + List.of(expected) + ", x=1");
        assertThat(result).isCompleted();
        assertThat(h.coordinator.outcomeOf(id)).isEqualTo(Outcome.COMMITTED);
        assertThat(h.coordinator.hasDecision(id.gtrid())).isTrue();
        assertThat(h.local.isWriteLocked(k("x"))).isFalse();
    }

    @Test
    void theResultCompletesOnceTheDecisionIsDurable() {
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of(B, C));
        h.vote(B, Vote.YES);
        h.disk.hold();
        h.vote(C, Vote.YES);

        assertThat(result).as("the decision is being written").isNotDone();
        assertThat(h.coordinator.outcomeOf(id)).as("never COMMITTED before it is durable").isEqualTo(Outcome.IN_PROGRESS);
        assertThat(link.calls(COMMIT)).isEmpty();
        assertThat(h.memory.contents()).as("nothing written yet").hasSize(2); // the node name and the format

        h.disk.release();

        assertThat(result).isCompleted();
        assertThat(h.coordinator.outcomeOf(id)).isEqualTo(Outcome.COMMITTED);
        assertThat(link.log()).contains("commit " + B, "commit " + C);
    }

    @Test
    void aReadOnlyVoteLeavesThePeerOutOfTheDecision() {
        h.coordinator.commit(id, w, List.of(B, C));
        h.vote(B, Vote.READ_ONLY);
        h.vote(C, Vote.YES);

        assertThat(h.local.store().loadDecisions()).containsExactly(decision(id, C));
        assertThat(link.log()).containsExactly("prepare " + B, "prepare " + C, "commit " + C);
    }

    @Test
    void aNoRollsBackTheLocalBranchAndOnlyThePeersThatMayHoldTheBranchEachAfterItsPrepareAnswered() {
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of(B, C, D, E));
        h.vote(B, Vote.YES);

        link.<Vote> last(PREPARE, D).fail(new ConflictException("no"));

        assertThat(h.local.isWriteLocked(k("x"))).as("the local branch is released at once").isFalse();
        assertThat(failureOf(result)).as("the caller learns the NO at once, the peers' rollbacks go on")
                .isInstanceOf(ConflictException.class).hasMessage("no");
        assertThat(h.coordinator.outcomeOf(id)).isEqualTo(Outcome.ROLLED_BACK);
        assertThat(link.calls(ROLLBACK)).as("only B answered: C and E not overtaken").extracting(c -> c.peer).containsExactly(B);

        link.<Vote> last(PREPARE, C).fail(new PeerUnavailableException("c is down"));
        assertThat(link.calls(ROLLBACK)).as("C may have prepared: the answer was lost").extracting(c -> c.peer)
                .containsExactly(B, C);
        assertThat(h.unreachable).containsExactly(C);

        h.vote(E, Vote.YES);
        assertThat(link.calls(ROLLBACK)).extracting(c -> c.peer).containsExactly(B, C, E);
        assertThat(link.calls(ROLLBACK, D)).as("a definite NO holds nothing").isEmpty();

        link.<Completion> calls(ROLLBACK).forEach(c -> c.answer(Completion.DONE));

        assertThat(link.calls(COMMIT)).isEmpty();
        assertThat(h.local.store().loadDecisions()).isEmpty();
        assertThat(h.coordinator.outcomeOf(id)).as("forgotten: presumed abort").isEqualTo(Outcome.ROLLED_BACK);
    }

    @Test
    void aRefusedLocalBranchRollsBackWithoutSendingAnything() {
        h.local.prepare(NodeFixtures.branch("older"), work().put("x", "0").build()).join(); // priority 0: older

        CompletableFuture<Void> result = h.coordinator.commit(id, work().put("x", "1").priority(5).build(), List.of(B));

        assertThat(failureOf(result)).isInstanceOf(ConflictException.class);
        assertThat(link.log()).isEmpty();
    }

    @Test
    void acknowledgementsShrinkTheDecisionAndDeleteItWhenEveryPeerAcknowledged() {
        h.coordinator.commit(id, w, List.of(B, C));
        h.vote(B, Vote.YES);
        h.vote(C, Vote.YES);
        assertThat(h.coordinator.pendingDecisions()).isEqualTo(1);

        link.<Completion> last(COMMIT, B).answer(Completion.DONE);

        assertThat(h.local.store().loadDecisions()).containsExactly(decision(id, C));
        assertThat(h.coordinator.hasDecision(id.gtrid())).isTrue();

        link.<Completion> last(COMMIT, C).answer(Completion.UNKNOWN); // committed and forgotten there: done too

        assertThat(h.local.store().loadDecisions()).isEmpty();
        assertThat(h.coordinator.hasDecision(id.gtrid())).isFalse();
        assertThat(h.coordinator.pendingDecisions()).isZero();
    }

    @Test
    void aFailedCommitKeepsTheDecisionAcrossARestartAndItIsSentAgain() {
        h.coordinator.commit(id, w, List.of(B));
        h.vote(B, Vote.YES);
        link.<Completion> last(COMMIT, B).fail(new PeerUnavailableException("b is down"));
        assertThat(h.unreachable).containsExactly(B);
        assertThat(h.coordinator.hasDecision(id.gtrid())).isTrue();

        h.crashAndRestart();

        assertThat(h.coordinator.hasDecision(id.gtrid())).as("restored from the store").isTrue();
        assertThat(h.coordinator.outcomeOf(id)).isEqualTo(Outcome.COMMITTED);
        assertThat(str(reads(h.local).read(k("x")))).isEqualTo("1");
        h.coordinator.resendCommits(0);
        link.<Completion> last(COMMIT, B).answer(Completion.DONE);
        assertThat(link.calls(COMMIT, B)).hasSize(2);
        assertThat(h.coordinator.hasDecision(id.gtrid())).isFalse();
    }

    @Test
    void resendCommitsResendsOnlyTheDecisionsAtLeastThatOld() {
        BranchId old = id;
        h.coordinator.commit(old, w, List.of(B));
        h.vote(B, Vote.YES);
        link.<Completion> last(COMMIT, B).fail(new PeerUnavailableException("b is down"));
        h.clock.advance(Duration.ofSeconds(10));
        BranchId recent = h.ids.next();
        h.coordinator.commit(recent, work().put("y", "1").build(), List.of(B));
        h.vote(B, Vote.YES);
        link.<Completion> last(COMMIT, B).fail(new PeerUnavailableException("b is down"));

        h.coordinator.resendCommits(Duration.ofSeconds(5).toNanos());

        assertThat(link.<Completion> calls(COMMIT, B)).extracting(c -> c.branch).containsExactly(old, recent, old);

        h.coordinator.resendCommits(0);

        assertThat(link.<Completion> calls(COMMIT, B)).extracting(c -> c.branch).containsExactly(old, recent, old, old, recent);
    }

    @Test
    void aDecisionThatCannotBeWrittenLeavesTheOutcomeUnknownAndTheKeysLocked() {
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of(B));
        h.memory.faults((sync, writes) -> MemoryStore.Fault.FAIL_LOST);

        h.vote(B, Vote.YES);

        assertThat(failureOf(result)).isInstanceOf(OutcomeUnknownException.class);
        assertThat(h.coordinator.outcomeOf(id)).as("B must wait: the decision may still surface").isEqualTo(Outcome.IN_PROGRESS);
        assertThat(link.log()).containsExactly("prepare " + B);
        assertThat(h.local.isWriteLocked(k("x"))).isTrue();
        assertThat(h.local.storeFailure()).isNotNull();
    }

    @Test
    void outcomeOfAnswersForTheTransactionsOfThisCoordinatorOnly() {
        CompletableFuture<Void> running = h.coordinator.commit(id, w, List.of(B));
        assertThat(h.coordinator.outcomeOf(id)).as("preparing").isEqualTo(Outcome.IN_PROGRESS);
        h.vote(B, Vote.YES);
        assertThat(running).isCompleted();
        assertThat(h.coordinator.outcomeOf(id)).as("a kept decision").isEqualTo(Outcome.COMMITTED);

        assertThat(h.coordinator.outcomeOf(new TxIds("a", 5).next())).as("own format, unknown: presumed abort")
                .isEqualTo(Outcome.ROLLED_BACK);
        assertThat(h.coordinator.outcomeOf(new TxIds("b", 5).next())).as("another coordinator's").isEqualTo(Outcome.UNKNOWN);
        BranchId external = externalBranch(1, "a");
        h.externalLog.put(external, Outcome.COMMITTED);
        assertThat(h.coordinator.outcomeOf(external)).as("an external manager's: its log").isEqualTo(Outcome.COMMITTED);
        assertThat(h.coordinator.outcomeOf(externalBranch(2, "a"))).isEqualTo(Outcome.UNKNOWN);
        assertThat(h.coordinator.outcomeOf(externalBranch(1, "b"))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void aTransactionWithoutPeersCommitsWithoutDecision() {
        CompletableFuture<Void> result = h.coordinator.commit(id, w, List.of());

        assertThat(result).isCompleted();
        assertThat(str(reads(h.local).read(k("x")))).isEqualTo("1");
        assertThat(h.local.store().loadDecisions()).isEmpty();
        assertThat(h.coordinator.pendingDecisions()).isZero();
    }

    @Test
    void waitingForPeerCommitsCompletesOnceEveryPeerAnswered() {
        try (CoordinatorHarness waiting = new CoordinatorHarness(true)) {
            CompletableFuture<Void> result = waiting.coordinator.commit(id, w, List.of(B, C));
            waiting.link.<Vote> last(PREPARE, B).answer(Vote.YES);
            waiting.link.<Vote> last(PREPARE, C).answer(Vote.YES);
            assertThat(waiting.local.store().loadDecisions()).hasSize(1);
            assertThat(result).isNotDone();

            waiting.link.<Completion> last(COMMIT, B).answer(Completion.DONE);
            assertThat(result).isNotDone();
            waiting.link.<Completion> last(COMMIT, C).fail(new PeerUnavailableException("c is down"));

            assertThat(result).as("committed (the decision is durable): C is sent its commit again later").isCompleted();
            assertThat(waiting.coordinator.hasDecision(id.gtrid())).isTrue();
        }
    }
}
