package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.FakePeerLink.COMMIT;
import static io.quarkiverse.level2pc.node.FakePeerLink.OUTCOME;
import static io.quarkiverse.level2pc.node.FakePeerLink.PREPARE;
import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.externalBranch;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxIds;

/**
 * The callback site from the participant's side, over a real LevelDB, against peers played by hand: a
 * branch prepared for longer than {@code in-doubt-after} is completed the way its coordinator answers,
 * and left prepared (keys locked) while nobody can answer; the coordinator's kept decisions are resent.
 */
class InDoubtResolverTest {

    private static final String B = "http://b:8080";
    private static final String C = "http://c:8080";
    private static final Duration LOCK_WAIT = Duration.ofMillis(200);

    @TempDir
    Path dir;

    private final ManualScheduler clock = new ManualScheduler();
    private final FakePeerLink link = new FakePeerLink();
    /** What the application's transaction manager knows of its transactions (the external log). */
    private final Map<BranchId, Outcome> own = new HashMap<>();
    private LocalNode node;
    private Heuristics heuristics;
    private TxCoordinator coordinator;

    @BeforeEach
    void open() {
        node = NodeFixtures.openLevel(dir, "a", LOCK_WAIT, clock);
        heuristics = new Heuristics(node);
        coordinator = new TxCoordinator(node, link, clock, new TxIds("a", 1), new Random(1), false,
                b -> own.getOrDefault(b, Outcome.IN_PROGRESS), (peer, why) -> {
                });
    }

    @AfterEach
    void close() {
        node.close();
    }

    private void restart() {
        node.close();
        open();
    }

    private InDoubtResolver resolver(Map<String, String> names, Duration after) {
        return new InDoubtResolver(node, coordinator, link, List.of(B, C), names::get, clock, after);
    }

    private BranchId prepare(BranchId id, String key, String coordinatorName) {
        node.prepare(id, work().put(key, "v-" + key).coordinator(coordinatorName).build()).join();
        return id;
    }

    private BranchId prepare(String gtrid, String key, String coordinatorName) {
        return prepare(branch(gtrid), key, coordinatorName);
    }

    private String value(String key) {
        return str(node.store().get(k(key)));
    }

    private void answer(String peer, BranchId id, Outcome o) {
        link.<Outcome> last(OUTCOME, peer, id.gtrid()).answer(o);
    }

    private List<String> asked() {
        return link.<Outcome> calls(OUTCOME).stream().map(c -> c.peer + " " + c.gtrid).toList();
    }

    @Test
    void appliesEachCoordinatorsAnswerAndLeavesTheUnansweredPrepared() {
        BranchId committedByB = prepare("t1", "k1", "b");
        BranchId abortedByB = prepare("t2", "k2", "b");
        BranchId runningOnB = prepare("t3", "k3", "b");
        BranchId mine = prepare(externalBranch(4, "a"), "k4", "a");
        BranchId cDown = prepare("t5", "k5", "c");
        own.put(mine, Outcome.COMMITTED);

        CompletableFuture<Integer> pass = resolver(Map.of("b", B, "c", C), Duration.ZERO).resolveOnce();
        answer(B, committedByB, Outcome.COMMITTED);
        answer(B, abortedByB, Outcome.ROLLED_BACK);
        answer(B, runningOnB, Outcome.IN_PROGRESS);
        link.<Outcome> last(OUTCOME, C, cDown.gtrid()).fail(new PeerUnavailableException("c is down"));

        assertThat(pass.join()).isEqualTo(3);
        assertThat(value("k1")).isEqualTo("v-k1");
        assertThat(value("k2")).isNull();
        assertThat(value("k4")).as("this node's own branch, by its manager's log").isEqualTo("v-k4");
        assertThat(node.prepared()).containsExactlyInAnyOrder(runningOnB, cDown);
        assertThat(node.isWriteLocked(k("k3"))).isTrue();
        assertThat(node.isWriteLocked(k("k5"))).isTrue();
        // Each branch asked its own coordinator only; this node's own branch asked nobody over the network.
        assertThat(asked()).containsExactlyInAnyOrder(B + " t1", B + " t2", B + " t3", C + " t5");
    }

    @Test
    void aBranchNobodyCanAnswerForStaysPreparedAndItsReadersTimeOutInsteadOfReadingTheOldValue() {
        prepare("t1", "k1", "b");
        InDoubtResolver r = resolver(Map.of(), Duration.ZERO);

        CompletableFuture<Integer> pass = r.resolveOnce();
        link.<Outcome> last(OUTCOME, B).fail(new PeerUnavailableException("b is down"));
        link.<Outcome> last(OUTCOME, C).answer(Outcome.UNKNOWN);

        assertThat(pass.join()).isZero();
        assertThat(node.inDoubt()).hasSize(1);
        CompletableFuture<?> read = reads(node).readAsync(k("k1"));
        clock.advance(LOCK_WAIT);
        assertThat(failureOf(read)).isInstanceOf(LockWaitTimeoutException.class);
    }

    @Test
    void asksNothingBeforeInDoubtAfter() {
        BranchId id = prepare("t1", "k1", "b");
        InDoubtResolver r = resolver(Map.of("b", B), Duration.ofMinutes(1));

        assertThat(r.resolveOnce().join()).isZero();
        assertThat(asked()).isEmpty();

        clock.advance(Duration.ofMinutes(1));
        CompletableFuture<Integer> pass = r.resolveOnce();
        answer(B, id, Outcome.COMMITTED);

        assertThat(pass.join()).isEqualTo(1);
        assertThat(value("k1")).isEqualTo("v-k1");
    }

    @Test
    void anUnknownCoordinatorNameAsksEveryPeerInTurnAndTakesTheCoordinatorsAnswer() {
        BranchId id = prepare("t1", "k1", "c");

        CompletableFuture<Integer> pass = resolver(Map.of(), Duration.ZERO).resolveOnce();
        assertThat(asked()).as("one at a time").containsExactly(B + " t1");
        answer(B, id, Outcome.UNKNOWN); // not its coordinator
        answer(C, id, Outcome.ROLLED_BACK);

        assertThat(pass.join()).isEqualTo(1);
        assertThat(node.prepared()).isEmpty();
        assertThat(value("k1")).isNull();
        assertThat(asked()).containsExactly(B + " t1", C + " t1");
    }

    @Test
    void aRestoredBranchIsResolvedAfterARestart() {
        BranchId id = prepare("t1", "k1", "b");
        restart();
        assertThat(node.prepared()).containsExactly(id);

        CompletableFuture<Integer> pass = resolver(Map.of("b", B), Duration.ZERO).resolveOnce();
        answer(B, id, Outcome.COMMITTED);

        assertThat(pass.join()).isEqualTo(1);
        assertThat(value("k1")).isEqualTo("v-k1");
        assertThat(node.inDoubt()).isEmpty();
    }

    @Test
    void theCoordinatorsDecisionOutlivesARestartAndIsResentUntilEveryPeerCommitted() {
        BranchId id = new TxIds("a", 7).next();
        CompletableFuture<Void> result = coordinator.commit(id, work().put("k1", "v-k1").coordinator("a").build(), List.of(B, C));
        link.<Vote> last(PREPARE, B).answer(Vote.YES);
        link.<Vote> last(PREPARE, C).answer(Vote.YES);
        result.join();
        link.awaitCalls(COMMIT, 2); // sent once the decision is durable, by the store's writer thread
        link.<Completion> last(COMMIT, B).answer(Completion.DONE);
        link.<Completion> last(COMMIT, C).fail(new PeerUnavailableException("c is down"));
        // The acknowledgement may be taken on the store's writer thread (it attaches to the call after making it).
        NodeFixtures.await("B's acknowledgement reached the store",
                () -> node.store().loadDecisions().equals(List.of(new Decision(id.gtrid(), Map.of(C, id)))));
        assertThat(coordinator.hasDecision(id.gtrid())).isTrue();

        restart();
        assertThat(coordinator.hasDecision(id.gtrid())).as("the decision survives a restart").isTrue();
        InDoubtResolver r = resolver(Map.of(), Duration.ZERO);
        r.resolveOnce().join();
        assertThat(link.calls(COMMIT, B)).as("B acknowledged before the restart").hasSize(1);
        link.<Completion> last(COMMIT, C).fail(new PeerUnavailableException("c is still down"));
        assertThat(coordinator.hasDecision(id.gtrid())).as("kept while c is down").isTrue();

        r.resolveOnce().join();
        link.<Completion> last(COMMIT, C).answer(Completion.DONE);

        assertThat(link.calls(COMMIT, C)).hasSize(3);
        assertThat(coordinator.hasDecision(id.gtrid())).isFalse();
        restart();
        assertThat(coordinator.hasDecision(id.gtrid())).as("and its removal reached the store").isFalse();
        assertThat(value("k1")).isEqualTo("v-k1");
    }

    @Test
    void aHeuristicDecisionIsRecordedDurablyAndSurvivesARestart() {
        BranchId id = prepare("t1", "k1", "b");

        assertThat(heuristics.decideHeuristically(id, false).join()).isEqualTo(Completion.DONE);

        assertThat(node.prepared()).isEmpty();
        assertThat(value("k1")).isNull();
        assertThat(heuristics.heuristicOutcome(id)).isEqualTo(Outcome.ROLLED_BACK);
        restart();
        assertThat(heuristics.heuristics()).containsEntry(id, Outcome.ROLLED_BACK);
        heuristics.forgetHeuristic(id);
        restart();
        assertThat(heuristics.heuristics()).isEmpty();
    }

    @Test
    void startRunsAPassEveryPeriodUntilClosed() {
        BranchId id = prepare("t1", "k1", "b");
        InDoubtResolver r = resolver(Map.of("b", B), Duration.ZERO);
        r.start(Duration.ofSeconds(1));

        clock.advance(Duration.ofMillis(999));
        assertThat(asked()).isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(asked()).containsExactly(B + " t1");
        clock.advance(Duration.ofSeconds(5));
        assertThat(asked()).as("the next pass starts when the last has finished").hasSize(1);

        answer(B, id, Outcome.IN_PROGRESS);
        clock.advance(Duration.ofSeconds(1));
        assertThat(asked()).hasSize(2);

        r.close();
        answer(B, id, Outcome.IN_PROGRESS);
        clock.advance(Duration.ofSeconds(10));
        assertThat(asked()).hasSize(2);
        assertThat(node.prepared()).containsExactly(id);
    }
}
