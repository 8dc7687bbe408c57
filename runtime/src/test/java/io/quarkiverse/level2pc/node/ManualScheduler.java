package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on a virtual clock for tests: nothing runs until {@link #advance} moves the clock,
 * then every task that fell due runs, in order of its due time, with the clock set to that time. Time
 * never passes by itself, so timeouts are tested without sleeping. Thread-safe (stores may complete
 * writes, and so schedule or cancel timers, on their own threads); tasks run on the thread that advances.
 */
final class ManualScheduler implements Scheduler {

    /** The wall clock at virtual time 0 (2023-11-14). */
    static final long START_MILLIS = 1_700_000_000_000L;

    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq));
    private long now;
    private long seq;

    private final class Task implements Cancellable {
        final long due;
        final long seq;
        final Runnable action;

        Task(long due, long seq, Runnable action) {
            this.due = due;
            this.seq = seq;
            this.action = action;
        }

        @Override
        public void cancel() {
            synchronized (ManualScheduler.this) {
                queue.remove(this);
            }
        }
    }

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized long currentTimeMillis() {
        return START_MILLIS + now / 1_000_000;
    }

    @Override
    public synchronized Cancellable schedule(long delayNanos, Runnable task) {
        Task t = new Task(now + Math.max(0, delayNanos), seq++, task);
        queue.add(t);
        return t;
    }

    /** Moves the clock forward by {@code d}, running every task that falls due on the way. */
    void advance(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        while (true) {
            Task t;
            synchronized (this) {
                t = queue.peek();
                if (t == null || t.due > target) {
                    now = target;
                    return;
                }
                queue.poll();
                now = Math.max(now, t.due);
            }
            t.action.run();
        }
    }

    /** Runs what is due now (tasks scheduled without delay), without moving the clock. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** How many tasks wait to run (cancelled ones are removed). */
    synchronized int pending() {
        return queue.size();
    }
}
