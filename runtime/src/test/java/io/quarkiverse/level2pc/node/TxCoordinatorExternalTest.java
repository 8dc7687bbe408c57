package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.CoordinatorHarness.B;
import static io.quarkiverse.level2pc.node.CoordinatorHarness.C;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * External mode: the cluster as one branch of an external transaction manager's two-phase commit
 * ({@link TxCoordinator#prepareExternal}, {@link TxCoordinator#commitExternal},
 * {@link TxCoordinator#rollbackExternal}), and the manager's recovery after a restart.
 */
class TxCoordinatorExternalTest {

    private final CoordinatorHarness h = new CoordinatorHarness();
    private final FakePeerLink link = h.link;
    private final BranchId xid = externalBranch(1, "a");
    private final TxWork w = work().put("x", "1").coordinator("a").build();

    @AfterEach
    void close() {
        h.close();
    }

    private CompletableFuture<Void> prepared() {
        CompletableFuture<Void> p = h.coordinator.prepareExternal(xid, w, List.of(B, C));
        h.vote(B, Vote.YES);
        h.vote(C, Vote.YES);
        return p;
    }

    @Test
    void prepareExternalPreparesTheLocalBranchWithARecordAndEveryPeerAndDecidesNothing() {
        CompletableFuture<Void> p = h.coordinator.prepareExternal(xid, w, List.of(B, C));

        assertThat(h.local.store().loadPrepared()).extracting(PrepareRecord::branch).containsExactly(xid);
        assertThat(link.log()).containsExactly("prepare " + B, "prepare " + C);
        h.vote(B, Vote.YES);
        assertThat(p).isNotDone();
        h.vote(C, Vote.YES);

        assertThat(p).isCompleted();
        assertThat(h.coordinator.outcomeOf(xid)).as("the manager decides").isEqualTo(Outcome.IN_PROGRESS);
        assertThat(h.local.store().loadDecisions()).isEmpty();
        assertThat(link.calls(COMMIT)).isEmpty();
        assertThat(h.local.isWriteLocked(k("x"))).isTrue();
    }

    @Test
    void commitExternalWritesTheDecisionWithTheLocalCommitThenCommitsThePeers() {
        prepared().join();
        List<String> seen = new ArrayList<>();
        link.onCall(c -> seen.add(c.op + " " + c.peer + " " + h.local.store().loadDecisions().size()));

        CompletableFuture<Void> committed = h.coordinator.commitExternal(xid, List.of(B, C));

        assertThat(committed).isCompleted();
        assertThat(seen).containsExactlyInAnyOrder("commit " + B + " 1", "commit " + C + " 1");
        assertThat(str(reads(h.local).read(k("x")))).isEqualTo("1");
        assertThat(h.local.store().loadPrepared()).as("the record went with the commit").isEmpty();
        assertThat(h.coordinator.outcomeOf(xid)).isEqualTo(Outcome.COMMITTED);

        link.<Completion> last(COMMIT, B).answer(Completion.DONE);
        link.<Completion> last(COMMIT, C).answer(Completion.DONE);
        assertThat(h.local.store().loadDecisions()).isEmpty();
    }

    @Test
    void rollbackExternalOfAPreparedTransactionRollsBackEveryBranch() {
        prepared().join();

        CompletableFuture<Void> rolledBack = h.coordinator.rollbackExternal(xid, List.of(B, C));

        assertThat(h.local.store().loadPrepared()).isEmpty();
        assertThat(h.local.isWriteLocked(k("x"))).isFalse();
        assertThat(link.calls(ROLLBACK)).extracting(c -> c.peer).containsExactly(B, C);
        assertThat(rolledBack).isNotDone();
        link.<Completion> calls(ROLLBACK).forEach(c -> c.answer(Completion.DONE));
        assertThat(rolledBack).isCompleted();
        assertThat(reads(h.local).read(k("x"))).isNull();
        assertThat(link.calls(COMMIT)).isEmpty();
    }

    @Test
    void aNoInPhaseOneRollsBackAndTheManagersRollbackThenReachesEveryPeer() {
        CompletableFuture<Void> p = h.coordinator.prepareExternal(xid, w, List.of(B, C));
        h.vote(B, Vote.YES);
        link.<Vote> last(PREPARE, C).fail(new ConflictException("c: key 'x' is locked"));
        link.<Completion> last(ROLLBACK, B).answer(Completion.DONE);

        assertThat(failureOf(p)).isInstanceOf(ConflictException.class);
        assertThat(link.calls(ROLLBACK)).extracting(c -> c.peer).containsExactly(B);
        assertThat(h.local.store().loadPrepared()).isEmpty();

        CompletableFuture<Void> managers = h.coordinator.rollbackExternal(xid, List.of(B, C));
        link.<Completion> calls(ROLLBACK).forEach(c -> c.answer(Completion.UNKNOWN));

        assertThat(managers).isCompleted();
        assertThat(link.calls(ROLLBACK)).extracting(c -> c.peer).containsExactly(B, B, C);
    }

    @Test
    void aRollbackAfterTheDecisionIsRefused() {
        prepared().join();
        h.disk.hold();
        h.coordinator.commitExternal(xid, List.of(B, C));

        CompletableFuture<Void> late = h.coordinator.rollbackExternal(xid, List.of(B, C));

        assertThat(failureOf(late)).isInstanceOf(IllegalStateException.class).hasMessageContaining("DECIDING");
        h.disk.release();
        assertThat(link.calls(ROLLBACK)).isEmpty();
    }

    @Test
    void afterARestartTheManagersCommitReachesEveryPeerAndUnknownCountsAsDone() {
        prepared().join();
        h.crashAndRestart();
        assertThat(h.local.prepared()).as("restored with its record").containsExactly(xid);
        h.externalLog.put(xid, Outcome.COMMITTED);
        assertThat(h.coordinator.outcomeOf(xid)).as("the manager's log answers").isEqualTo(Outcome.COMMITTED);

        CompletableFuture<Void> committed = h.coordinator.commitExternal(xid, List.of(B, C));

        assertThat(committed).isCompleted();
        assertThat(h.local.store().loadDecisions()).containsExactly(new Decision(xid.gtrid(), Map.of(B, xid, C, xid)));
        assertThat(str(reads(h.local).read(k("x")))).isEqualTo("1");
        link.<Completion> last(COMMIT, B).answer(Completion.DONE);
        link.<Completion> last(COMMIT, C).answer(Completion.UNKNOWN); // never prepared there, or done and forgotten
        assertThat(h.local.store().loadDecisions()).isEmpty();
        assertThat(h.coordinator.hasDecision(xid.gtrid())).isFalse();
    }

    @Test
    void afterARestartTheManagersRollbackReachesTheLocalBranchAndEveryPeer() {
        prepared().join();
        h.crashAndRestart();

        CompletableFuture<Void> rolledBack = h.coordinator.rollbackExternal(xid, List.of(B, C));
        link.<Completion> calls(ROLLBACK).forEach(c -> c.answer(Completion.DONE));

        assertThat(rolledBack).isCompleted();
        assertThat(link.calls(ROLLBACK)).extracting(c -> c.peer).containsExactly(B, C);
        assertThat(h.local.prepared()).isEmpty();
        assertThat(h.local.store().loadPrepared()).isEmpty();
        assertThat(reads(h.local).read(k("x"))).isNull();
    }
}
