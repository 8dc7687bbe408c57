package io.quarkiverse.level2pc.sim;

import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

import io.quarkiverse.level2pc.node.Scheduler;

/**
 * The simulation's one thread of time: a virtual clock and a queue of timed tasks, run in time order (ties
 * in scheduling order), so that a seed decides everything. Each node sees it through a {@link View}: its own
 * clock (which may run at another rate, a fault of its own) and its own tasks, dropped when the node crashes.
 */
final class SimScheduler {

    /** Virtual wall-clock time at the start of a run (any fixed value: runs must not depend on the real clock). */
    static final long EPOCH_MILLIS = 1_800_000_000_000L;

    private record Task(long at, long seq, View owner, int incarnation, Runnable run) implements Comparable<Task> {
        @Override
        public int compareTo(Task o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** More tasks than this in one step means a task keeps rescheduling itself without time passing. */
    static final long MAX_TASKS_PER_STEP = 1_000_000;

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long now;
    private long seq;
    private long executed;

    long nanoTime() {
        return now;
    }

    long executed() {
        return executed;
    }

    /** Schedules {@code task} on the simulation's own behalf (no node owns it). */
    void at(long delayNanos, Runnable task) {
        queue.add(new Task(now + Math.max(0, delayNanos), seq++, null, 0, task));
    }

    /** Runs tasks in order until the queue is empty or virtual time would pass {@code untilNanos}. */
    void runUntil(long untilNanos) {
        long budget = executed + MAX_TASKS_PER_STEP;
        while (!queue.isEmpty() && queue.peek().at <= untilNanos) {
            Task t = queue.poll();
            now = t.at;
            if (executed > budget) {
                throw new IllegalStateException("runaway: more than " + MAX_TASKS_PER_STEP + " tasks without virtual time passing"
                        + " beyond " + now + " ns (a task that reschedules itself at once?): " + t.run);
            }
            if (t.owner != null && t.owner.incarnation != t.incarnation) {
                continue; // scheduled by an incarnation of a node that crashed since
            }
            executed++;
            t.run.run();
        }
        now = Math.max(now, untilNanos);
    }

    /** Runs for {@code millis} more of virtual time. */
    void runFor(long millis) {
        runUntil(now + TimeUnit.MILLISECONDS.toNanos(millis));
    }

    View view(String name) {
        return new View(name);
    }

    /** A node's clock and timers. */
    final class View implements Scheduler {
        final String name;
        int incarnation;
        /** How fast this node's monotonic clock runs (1.0: in step with everyone). */
        double rate = 1.0;
        private long rateOrigin;
        private long rateOffset;

        View(String name) {
            this.name = name;
        }

        /** The node crashed: its pending tasks never run. */
        void crash() {
            incarnation++;
        }

        /** From now on this node's clock runs at {@code r} times real (virtual) speed. */
        void setRate(double r) {
            rateOffset = nanoTime();
            rateOrigin = now;
            rate = r;
        }

        @Override
        public long nanoTime() {
            return rate == 1.0 && rateOffset == 0 && rateOrigin == 0 ? now : rateOffset + (long) ((now - rateOrigin) * rate);
        }

        @Override
        public long currentTimeMillis() {
            return EPOCH_MILLIS + TimeUnit.NANOSECONDS.toMillis(nanoTime());
        }

        @Override
        public Cancellable schedule(long delayNanos, Runnable task) {
            long real = rate == 1.0 ? delayNanos : (long) (delayNanos / rate);
            Task t = new Task(now + Math.max(0, real), seq++, this, incarnation, task);
            queue.add(t);
            return () -> queue.remove(t);
        }
    }
}
