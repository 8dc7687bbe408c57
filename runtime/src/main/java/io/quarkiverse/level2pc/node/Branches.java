package io.quarkiverse.level2pc.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Participant;

/**
 * The node's participant under its one lock, and the waits for its locks: shared by the drivers of one
 * node ({@link LocalNode}, {@link CatchUps}). The lock is never held across I/O; a caller that must wait
 * (a read of a key held by a prepared branch, an older prepare behind a younger lock holder, a second
 * phase racing another) registers a retry, run once something is released, or its timeout, run when its
 * deadline passes. No thread is blocked while waiting.
 */
final class Branches {

    private final ReentrantLock lock = new ReentrantLock();
    final Participant participant;
    /** When each prepared branch became durable here (wall clock, for ages shown to operators). */
    final Map<BranchId, Long> preparedSince = new HashMap<>();
    /** Keys a catch-up is writing now (quorum mode): commits of them wait (see {@link CatchUps#apply}). */
    final Set<Bytes> catchUpKeys = new HashSet<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final Scheduler scheduler;

    private final class Waiter {
        final Runnable retry;
        final Runnable onTimeout;
        Scheduler.Cancellable timer;

        Waiter(Runnable retry, Runnable onTimeout) {
            this.retry = retry;
            this.onTimeout = onTimeout;
        }
    }

    Branches(Scheduler scheduler, String nodeName) {
        this.scheduler = scheduler;
        this.participant = new Participant(10_000, nodeName);
    }

    <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    void locked(Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    /**
     * Must be called holding the lock, in the same hold as the check that found a reason to wait (so no
     * release can slip in between): {@code retry} runs once something is released, {@code onTimeout} if
     * {@code deadlineNanos} passes first. Either runs without the lock held.
     */
    void waitForRelease(long deadlineNanos, Runnable retry, Runnable onTimeout) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("waitForRelease without the node lock");
        }
        Waiter w = new Waiter(retry, onTimeout);
        waiters.add(w);
        w.timer = scheduler.schedule(deadlineNanos - scheduler.nanoTime(), () -> {
            boolean mine = locked(() -> waiters.remove(w));
            if (mine) {
                w.onTimeout.run();
            }
        });
    }

    /** Something was released (a branch finished, was abandoned, a catch-up ended): every waiter tries again. Call without the lock. */
    void released() {
        List<Waiter> ready = locked(() -> {
            List<Waiter> all = new ArrayList<>(waiters);
            waiters.clear();
            return all;
        });
        for (Waiter w : ready) {
            w.timer.cancel();
            w.retry.run();
        }
    }

    /** How many calls wait now (tests, health). */
    int waiting() {
        return locked(waiters::size);
    }
}
