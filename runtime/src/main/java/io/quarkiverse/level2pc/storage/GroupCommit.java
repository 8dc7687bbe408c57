package io.quarkiverse.level2pc.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: writes submitted while the store is busy writing (and syncing) are applied together by
 * the next store write, in ONE atomic batch and ONE sync, in submission order; each submitter's future
 * completes once the write that carried its operations is done. Every submitter's operations stay
 * all-or-nothing (a group is one atomic batch). If the store write fails, with any {@code Throwable}
 * (an {@code Error} included: the JVM reports a memory-mapped write to a full disk as an
 * {@code InternalError}), every submitter of that group gets the failure; none is told "done" without its
 * writes.
 *
 * <p>
 * One writer thread does the store writes; futures are completed on it, so what callers chain on them
 * must be short and must not block.
 */
public final class GroupCommit implements AutoCloseable {

    /** Writes one merged batch to the store (synced if {@code sync}); any throwable fails the whole group. */
    @FunctionalInterface
    public interface Writer {
        void write(WriteOps ops, boolean sync) throws Exception;
    }

    private record Pending(WriteOps ops, boolean sync, CompletableFuture<Void> done) {
    }

    private final Writer writer;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private List<Pending> queue = new ArrayList<>();
    private boolean closing;
    private final Thread thread;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong groups = new AtomicLong();

    public GroupCommit(String name, Writer writer) {
        this.name = name;
        this.writer = writer;
        this.thread = new Thread(this::run, "level-2pc-store-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues {@code ops}; the future completes when they are written (and synced, with {@code sync}). */
    public CompletableFuture<Void> submit(WriteOps ops, boolean sync) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        lock.lock();
        try {
            if (closing) {
                done.completeExceptionally(new IllegalStateException("the store " + name + " is closed"));
                return done;
            }
            queue.add(new Pending(ops, sync, done));
            work.signal();
        } finally {
            lock.unlock();
        }
        return done;
    }

    private void run() {
        while (true) {
            List<Pending> group;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    work.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return;
                }
                group = queue;
                queue = new ArrayList<>();
            } finally {
                lock.unlock();
            }
            writeGroup(group);
        }
    }

    private void writeGroup(List<Pending> group) {
        WriteOps merged = group.size() == 1 ? group.get(0).ops() : new WriteOps();
        boolean sync = false;
        for (Pending p : group) {
            if (group.size() > 1) {
                merged.addAll(p.ops());
            }
            sync |= p.sync();
        }
        Throwable failure = null;
        try {
            writer.write(merged, sync);
            writes.addAndGet(group.size());
            groups.incrementAndGet();
        } catch (Throwable t) {
            failure = t;
        }
        for (Pending p : group) {
            if (failure == null) {
                p.done().complete(null);
            } else if (failure instanceof StoreFailedException named) {
                p.done().completeExceptionally(named);
            } else {
                p.done().completeExceptionally(new StoreFailedException("writing to the store " + name + " failed: " + failure,
                        failure));
            }
        }
    }

    public Store.WriteStats stats() {
        return new Store.WriteStats(writes.get(), groups.get());
    }

    /** Writes what is queued, then stops the writer thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
