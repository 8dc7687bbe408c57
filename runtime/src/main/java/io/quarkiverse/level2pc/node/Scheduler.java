package io.quarkiverse.level2pc.node;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Time and timers for the node's drivers: every timeout, retry and periodic task goes through it, so that
 * the cluster simulation can run the same code on a simulated clock, deterministically. Tasks must be
 * short and must not block.
 */
public interface Scheduler {

    /** A monotonic clock, in nanoseconds (only differences mean anything). */
    long nanoTime();

    /** The wall clock, in milliseconds since the epoch. */
    long currentTimeMillis();

    /** Runs {@code task} once after {@code delayNanos}; the result cancels it. */
    Cancellable schedule(long delayNanos, Runnable task);

    /** Runs {@code task} soon, not on the caller's stack. */
    default void execute(Runnable task) {
        schedule(0, task);
    }

    /** A scheduled task that has not run yet can be cancelled. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }

    /** The real clocks, and one daemon timer thread named {@code threadName}. */
    static Scheduler system(String threadName) {
        return new SystemScheduler(threadName);
    }

    /** The production scheduler: {@link System#nanoTime()}, {@link System#currentTimeMillis()} and a timer thread. */
    final class SystemScheduler implements Scheduler, AutoCloseable {
        private final ScheduledThreadPoolExecutor timer;

        SystemScheduler(String threadName) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public Cancellable schedule(long delayNanos, Runnable task) {
            ScheduledFuture<?> f = timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
