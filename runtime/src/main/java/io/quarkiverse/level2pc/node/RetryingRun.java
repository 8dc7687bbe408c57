package io.quarkiverse.level2pc.node;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * One {@link TxCoordinator#run} or {@link TxCoordinator#runDerived}: its attempts, each a transaction of its
 * own, the pauses between them, and how long the node has been found not writable in a row. Retries only what
 * a retry can fix (see {@link TxCoordinator#run}); every wait runs on the scheduler, no thread is held.
 *
 * <p>
 * The work of each attempt comes from {@code source}, given the first attempt's priority: the same work every
 * time for a {@code run}, work derived afresh from the current data for a {@code runDerived} (a conditional
 * write reads the key again), or {@code null} when there is nothing to commit (the condition does not hold:
 * the run completes with {@code false}).
 */
final class RetryingRun {

    /** Polling interval while waiting to be writable, and the cap of the conflict back-off. */
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final TxCoordinator coordinator;
    private final Scheduler scheduler;
    private final Random random;
    private final LongFunction<CompletableFuture<TxWork>> source;
    /** Whether each attempt's work is derived from fresh reads, so that a conflict is worth retrying even if it read. */
    private final boolean rederived;
    private final long priority;
    final Supplier<WriteSet> writeSets;
    final long deadline;
    final long readyBound;
    /** {@code true} once committed; {@code false} if the source found nothing to commit. */
    final CompletableFuture<Boolean> result = new CompletableFuture<>();
    int attempts;
    long notReadySince = -1;
    /** The write's span, over all its attempts (each attempt's transaction is a child): in the caller's trace. */
    private final Tracing.Span span;

    RetryingRun(TxCoordinator coordinator, Scheduler scheduler, Random random, LongFunction<CompletableFuture<TxWork>> source,
            boolean rederived, long priority, Supplier<WriteSet> writeSets, long deadline, long readyBound) {
        this.coordinator = coordinator;
        this.scheduler = scheduler;
        this.random = random;
        this.source = source;
        this.rederived = rederived;
        this.priority = priority;
        this.writeSets = writeSets;
        this.deadline = deadline;
        this.readyBound = readyBound;
        this.span = coordinator.tracing().write();
        if (span != Tracing.Span.NONE) { // untraced: no extra stage on every write
            result.whenComplete((v, e) -> span.end(e == null ? null : Futures.unwrap(e)));
        }
    }

    void attempt() {
        attempts++;
        WriteSet ws;
        try {
            ws = writeSets.get();
            notReadySince = -1;
        } catch (NotReadyException e) {
            long now = scheduler.nanoTime();
            notReadySince = notReadySince < 0 ? now : notReadySince;
            if (now - notReadySince >= readyBound) {
                result.completeExceptionally(e);
            } else {
                retryOrFail(e, Math.min(MAX_PAUSE_NANOS, readyBound - (now - notReadySince)));
            }
            return;
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        CompletableFuture<TxWork> derived;
        try {
            derived = source.apply(priority);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        derived.whenComplete((work, failure) -> {
            if (failure != null) {
                result.completeExceptionally(Futures.asRuntime(failure));
            } else if (work == null) {
                result.complete(false);
            } else {
                commit(work, ws);
            }
        });
    }

    private void commit(TxWork work, WriteSet ws) {
        TxWork w = ws.isQuorum() ? work.withStamp(coordinator.local().nextStamp(), ws.participants(), ws.excluded()) : work;
        coordinator.commit(coordinator.nextId(), w, ws.peers(), span).whenComplete((v, failure) -> {
            if (failure == null) {
                result.complete(true);
                return;
            }
            RuntimeException e = Futures.asRuntime(failure);
            long pause = retryPause(w, ws, e, attempts);
            if (pause < 0) {
                result.completeExceptionally(e);
            } else {
                retryOrFail(e, pause);
            }
        });
    }

    private void retryOrFail(RuntimeException cause, long pauseNanos) {
        long left = deadline - scheduler.nanoTime();
        if (left <= 0 || left < pauseNanos && cause instanceof PromiseRefusalException) {
            result.completeExceptionally(finalFailure(cause));
            return;
        }
        scheduler.schedule(Math.min(pauseNanos, left), this::attempt);
    }

    /** How long to wait before retrying after {@code e}, or -1 if a retry cannot help. */
    private long retryPause(TxWork work, WriteSet ws, RuntimeException e, int attempt) {
        if (e instanceof PromiseRefusalException p) {
            return TimeUnit.MILLISECONDS.toNanos(p.retryAfterMillis()) + TimeUnit.MILLISECONDS.toNanos(1);
        }
        boolean quorumRetry = ws.isQuorum() && (e instanceof PeerUnavailableException || e instanceof NotReadyException);
        boolean retriableConflict = e instanceof ConflictException && (rederived || work.reads().isEmpty());
        if (!quorumRetry && !retriableConflict) {
            return -1;
        }
        // Exponential back-off with jitter breaks the symmetry of two nodes writing the same key.
        long cap = Math.min(MAX_PAUSE_NANOS, 500_000L << Math.min(attempt, 6));
        return 1 + (long) (random.nextDouble() * cap);
    }

    /** A write that waited for promises to run out and ran out of time itself: not a conflict, the node is not ready. */
    private static RuntimeException finalFailure(RuntimeException cause) {
        if (cause instanceof PromiseRefusalException p) {
            return new PromiseRefusalException("The write waited for its own time bound (quarkus.level-2pc.lock-wait-timeout, or"
                    + " quarkus.level-2pc.ready-timeout) and the last prepare was still refused: " + p.getMessage(),
                    p.retryAfterMillis());
        }
        return cause;
    }
}
