package io.quarkiverse.level2pc.runtime;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.Level2pcExceptions;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * {@link io.quarkiverse.level2pc.ReplicatedDB#transaction}: a unit of work run in a new JTA transaction, run again
 * (with a new transaction) when it fails with a retryable {@link Level2pcException} (a conflict, a lock wait, a
 * node not ready: {@link Level2pcException#isRetryable()}), after a jittered exponential back-off, for at most
 * {@value #MAX_ATTEMPTS} attempts and {@code lock-wait-timeout} in all; then the last failure is thrown.
 */
final class Retries {

    static final int MAX_ATTEMPTS = 10;
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private Retries() {
    }

    static <T> T run(Supplier<T> work, Duration bound, boolean inTransaction) {
        if (inTransaction) {
            throw new IllegalStateException("ReplicatedDB.transaction runs its work in a transaction of its own and retries it"
                    + " whole; the calling thread already has a JTA transaction (@Transactional?), of which it cannot retry a"
                    + " part: call it outside, or let the caller's transaction retry");
        }
        long deadline = System.nanoTime() + bound.toNanos();
        for (int attempt = 1;; attempt++) {
            try {
                return QuarkusTransaction.requiringNew().call(work::get);
            } catch (RuntimeException e) {
                Level2pcException cause = Level2pcExceptions.find(e, Level2pcException.class);
                long pause = 1 + ThreadLocalRandom.current().nextLong(Math.min(MAX_PAUSE_NANOS, 1_000_000L << Math.min(attempt, 7)));
                if (cause == null || !cause.isRetryable() || attempt >= MAX_ATTEMPTS || System.nanoTime() + pause > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(pause);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
