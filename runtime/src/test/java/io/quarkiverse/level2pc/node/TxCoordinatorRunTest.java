package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.CoordinatorHarness.B;
import static io.quarkiverse.level2pc.node.FakePeerLink.COMMIT;
import static io.quarkiverse.level2pc.node.FakePeerLink.PREPARE;
import static io.quarkiverse.level2pc.node.NodeFixtures.failureOf;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.core.TxWork;

/** {@link TxCoordinator#run}: what a retry can fix is retried, within the bound, on the scheduler's clock. */
class TxCoordinatorRunTest {

    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final Supplier<WriteSet> TO_B = () -> WriteSet.everyPeer(List.of(B));

    private final CoordinatorHarness h = new CoordinatorHarness();
    private final FakePeerLink link = h.link;
    private final TxWork blind = work().put("x", "1").coordinator("a").build();

    @AfterEach
    void close() {
        h.close();
    }

    private FakePeerLink.Call<Vote> lastPrepare() {
        return link.last(PREPARE, B);
    }

    private int prepares() {
        return link.calls(PREPARE).size();
    }

    @Test
    void aBlindWriteIsRetriedAfterAConflictAsANewTransactionWithTheFirstPriorityAndSucceeds() {
        CompletableFuture<Void> result = h.coordinator.run(blind, TO_B, BOUND);
        FakePeerLink.Call<Vote> first = lastPrepare();
        assertThat(first.work.priority()).as("the first attempt's wall clock").isEqualTo(ManualScheduler.START_MILLIS);
        assertThat(TxIds.coordinatorIn(first.branch.gtrid())).isEqualTo("a");

        first.fail(new ConflictException("b: key 'x' is locked"));

        assertThat(result).isNotDone();
        assertThat(h.local.isWriteLocked(k("x"))).as("the attempt was rolled back").isFalse();
        assertThat(prepares()).as("the retry waits for its back-off").isEqualTo(1);
        h.clock.advance(Duration.ofMillis(2)); // the first back-off is at most 1 ms
        assertThat(prepares()).isEqualTo(2);
        FakePeerLink.Call<Vote> second = lastPrepare();
        assertThat(second.branch).as("a transaction of its own").isNotEqualTo(first.branch);
        assertThat(second.work.priority()).as("as old as the first attempt").isEqualTo(first.work.priority());

        second.answer(Vote.YES);

        assertThat(result).isCompleted();
        assertThat(str(reads(h.local).read(k("x")))).isEqualTo("1");
        assertThat(link.<Completion> last(COMMIT, B).branch).isEqualTo(second.branch);
    }

    @Test
    void aTransactionThatReadIsNotRetried() {
        TxWork read = work().readAbsent(k("r")).put("x", "1").build();
        CompletableFuture<Void> result = h.coordinator.run(read, TO_B, BOUND);

        lastPrepare().fail(new ConflictException("b: key 'r' was changed"));

        assertThat(failureOf(result)).isInstanceOf(ConflictException.class).hasMessageContaining("changed");
        h.clock.advance(BOUND);
        assertThat(prepares()).isEqualTo(1);
    }

    @Test
    void aPrepareRefusedForAPromiseIsRetriedOnceThePromiseRanOut() {
        CompletableFuture<Void> result = h.coordinator.run(work().readAbsent(k("r")).put("x", "1").build(), TO_B, BOUND);

        lastPrepare().fail(new PromiseRefusalException("b promised c", 100));

        h.clock.advance(Duration.ofMillis(100));
        assertThat(prepares()).as("the promise still runs").isEqualTo(1);
        assertThat(result).isNotDone();
        h.clock.advance(Duration.ofMillis(1));
        assertThat(prepares()).isEqualTo(2);

        lastPrepare().answer(Vote.YES);
        assertThat(result).isCompleted();
    }

    @Test
    void theBoundEndsTheRetriesWithTheLastFailure() {
        CompletableFuture<Void> result = h.coordinator.run(blind, TO_B, Duration.ofMillis(20));

        int attempts = 0;
        while (!result.isDone() && attempts < 1000) {
            FakePeerLink.Call<Vote> p = lastPrepare();
            p.fail(new ConflictException("conflict " + ++attempts));
            int before = prepares();
            while (!result.isDone() && prepares() == before) {
                h.clock.advance(Duration.ofMillis(1)); // the back-off, at most 50 ms
            }
        }

        assertThat(h.clock.nanoTime()).as("ends at the bound").isBetween(Duration.ofMillis(20).toNanos(),
                Duration.ofMillis(21).toNanos());
        assertThat(attempts).as("retried while the bound allowed").isGreaterThan(1);
        assertThat(failureOf(result)).isInstanceOf(ConflictException.class).hasMessage("conflict " + attempts);
        h.clock.advance(BOUND);
        assertThat(prepares()).isEqualTo(attempts);
    }

    @Test
    void aPromiseOutlastingTheBoundFailsAtOnce() {
        CompletableFuture<Void> result = h.coordinator.run(blind, TO_B, Duration.ofMillis(50));

        lastPrepare().fail(new PromiseRefusalException("b promised c", 100));

        assertThat(failureOf(result)).isInstanceOfSatisfying(PromiseRefusalException.class,
                e -> assertThat(e.retryAfterMillis()).isEqualTo(100)).hasMessageContaining("own time bound");
        h.clock.advance(BOUND);
        assertThat(prepares()).isEqualTo(1);
    }

    @Test
    void inQuorumModeAnUnreachablePeerIsRetriedWithTheNextWriteSetAndAStamp() {
        AtomicInteger asked = new AtomicInteger();
        Supplier<WriteSet> quorum = () -> {
            if (asked.incrementAndGet() == 1) {
                throw new NotReadyException("not current yet");
            }
            return new WriteSet(List.of(B), List.of("a", "b"), 1);
        };
        CompletableFuture<Void> result = h.coordinator.run(blind, quorum, BOUND);
        assertThat(prepares()).as("not writable yet: waits").isZero();
        h.clock.advance(Duration.ofMillis(50));
        assertThat(prepares()).isEqualTo(1);
        FakePeerLink.Call<Vote> first = lastPrepare();
        assertThat(first.work.participants()).containsExactly("a", "b");
        assertThat(first.work.stamp()).isPositive();

        first.fail(new PeerUnavailableException("b is down"));
        assertThat(prepares()).isEqualTo(1);
        // B may have prepared: the attempt ends once its rollback answered (here: it could not be sent either).
        link.<Completion> last(FakePeerLink.ROLLBACK, B).fail(new PeerUnavailableException("b is down"));
        h.clock.advance(Duration.ofMillis(50)); // the back-off, at most 50 ms
        assertThat(prepares()).isEqualTo(2);
        FakePeerLink.Call<Vote> second = lastPrepare();
        assertThat(second.work.stamp()).as("a fresh stamp").isGreaterThan(first.work.stamp());
        second.answer(Vote.YES);

        assertThat(result).isCompleted();
        assertThat(h.unreachable).containsExactly(B);
    }

    @Test
    void inFullReplicationAnUnreachablePeerIsNotRetried() {
        CompletableFuture<Void> result = h.coordinator.run(blind, TO_B, BOUND);

        lastPrepare().fail(new PeerUnavailableException("b is down"));
        assertThat(link.calls(FakePeerLink.ROLLBACK, B)).as("B may have prepared: rolled back").hasSize(1);
        // Its answer was lost: the caller is not held for that rollback (it goes on in the background).
        assertThat(failureOf(result)).isInstanceOf(PeerUnavailableException.class);
        link.<Completion> last(FakePeerLink.ROLLBACK, B).answer(Completion.UNKNOWN);
        h.clock.advance(BOUND);
        assertThat(prepares()).isEqualTo(1);
        assertThat(h.local.isWriteLocked(k("x"))).isFalse();
        assertThat(h.local.store().get(Bytes.utf8("x"))).isNull();
    }

    // ---- runDerived: work derived afresh at every attempt (conditional writes) -----------------

    @Test
    void derivedWorkIsDerivedAgainAfterAConflictAndCanThenFindNothingToDo() {
        AtomicInteger derivations = new AtomicInteger();
        CompletableFuture<Boolean> result = h.coordinator.runDerived(priority -> {
            int n = derivations.incrementAndGet();
            // the first attempt finds the condition true, the second (after the conflict) false
            return CompletableFuture.completedFuture(n == 1 ? work().readAbsent(k("x")).put("x", "1").build().withPriority(priority) : null);
        }, TO_B, BOUND, BOUND);
        assertThat(derivations).hasValue(1);
        lastPrepare().fail(new ConflictException("b: key 'x' was changed"));

        assertThat(result).as("a conflict of derived work is retried, though it read").isNotDone();
        h.clock.advance(Duration.ofMillis(2));
        assertThat(derivations).hasValue(2);
        assertThat(result).isCompletedWithValue(false);
        assertThat(prepares()).as("nothing to commit: no second transaction").isEqualTo(1);
        assertThat(h.local.isWriteLocked(k("x"))).isFalse();
    }

    @Test
    void derivedWorkThatHoldsCommitsWithTheFirstAttemptsPriority() {
        List<Long> priorities = new java.util.ArrayList<>();
        CompletableFuture<Boolean> result = h.coordinator.runDerived(priority -> {
            priorities.add(priority);
            return CompletableFuture.completedFuture(work().readAbsent(k("y")).put("y", "v").build().withPriority(priority));
        }, TO_B, BOUND, BOUND);
        lastPrepare().fail(new ConflictException("b: key 'y' is locked"));
        h.clock.advance(Duration.ofMillis(2));
        lastPrepare().answer(Vote.YES);

        assertThat(result).isCompletedWithValue(true);
        assertThat(priorities).hasSize(2).containsOnly(ManualScheduler.START_MILLIS);
        assertThat(str(reads(h.local).read(k("y")))).isEqualTo("v");
    }

    @Test
    void aFailureToDeriveIsTheResult() {
        CompletableFuture<Boolean> result = h.coordinator.runDerived(
                priority -> CompletableFuture.failedFuture(new IllegalStateException("read failed")), TO_B, BOUND, BOUND);
        assertThat(failureOf(result)).isInstanceOf(IllegalStateException.class).hasMessage("read failed");
        assertThat(prepares()).isZero();
    }
}
