package io.quarkiverse.level2pc.storage;

import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import io.quarkiverse.level2pc.core.Bytes;

/**
 * A {@link Store} in memory, for tests and the cluster simulation. It models a log-structured disk:
 * writes are applied in order; a synced write makes itself and every write before it durable; a
 * {@link #crash} keeps only what was durable. When writes complete is up to its {@link Disk}: at once on
 * the caller's thread ({@link #immediate}), or whenever a simulation's scheduler runs the flush. A
 * {@link Faults} hook can fail a flush, losing its writes or (as a failed sync whose data still reached the
 * disk) keeping them.
 */
public final class MemoryStore implements Store {

    /** Decides when queued writes are flushed: {@code flush} must eventually be run, once per request. */
    @FunctionalInterface
    public interface Disk {
        void requestFlush(boolean sync, Runnable flush);
    }

    /** What happens to a flush. */
    public enum Fault {
        NONE,
        /** The flush fails and nothing of it is applied. */
        FAIL_LOST,
        /** The flush fails, yet its writes were applied and are durable (a failed sync whose data reached the disk). */
        FAIL_APPLIED,
        /** The flush reports success but its sync did not happen (a disk that lies): durable only once a later sync is. */
        NOT_DURABLE
    }

    /** Decides the fate of each flush (fault injection), from whether it syncs and the writes it carries. */
    @FunctionalInterface
    public interface Faults {
        Fault onFlush(boolean sync, List<WriteOps> group);
    }

    private record Pending(WriteOps ops, boolean sync, CompletableFuture<Void> done) {
    }

    private final String name;
    private final Disk disk;
    private final NavigableMap<Bytes, byte[]> visible;
    private final NavigableMap<Bytes, byte[]> durable;
    private final List<WriteOps> unsynced = new ArrayList<>();
    private List<Pending> queue = new ArrayList<>();
    private boolean flushRequested;
    private boolean closed;
    private volatile Faults faults = (sync, writes) -> Fault.NONE;
    private long writes;
    private long groups;

    private MemoryStore(String name, Disk disk, NavigableMap<Bytes, byte[]> durableContent) {
        this.name = name;
        this.disk = disk;
        this.visible = new TreeMap<>(durableContent);
        this.durable = new TreeMap<>(durableContent);
    }

    /** An empty store whose writes complete at once, on the caller's thread. */
    public static MemoryStore immediate(String name) {
        return new MemoryStore(name, (sync, flush) -> flush.run(), new TreeMap<>());
    }

    /** An empty store whose writes are flushed when {@code disk} says. */
    public static MemoryStore on(String name, Disk disk) {
        return new MemoryStore(name, disk, new TreeMap<>());
    }

    public void faults(Faults f) {
        this.faults = f;
    }

    @Override
    public synchronized byte[] get(byte[] key) {
        checkOpen();
        return visible.get(Bytes.wrap(key));
    }

    @Override
    public CompletableFuture<Void> write(WriteOps ops, boolean sync) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean request;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the store " + name + " is closed"));
            }
            queue.add(new Pending(ops, sync, done));
            request = !flushRequested;
            flushRequested = true;
        }
        if (request) {
            disk.requestFlush(sync, this::flush);
        }
        return done;
    }

    /** Applies every queued write as one group (the simulation's disk calls this). */
    public void flush() {
        List<Pending> group;
        Fault fault;
        boolean sync = false;
        synchronized (this) {
            flushRequested = false;
            if (closed || queue.isEmpty()) {
                return;
            }
            group = queue;
            queue = new ArrayList<>();
            for (Pending p : group) {
                sync |= p.sync();
            }
            List<WriteOps> carried = new ArrayList<>(group.size());
            group.forEach(p -> carried.add(p.ops()));
            fault = faults.onFlush(sync, carried);
            if (fault != Fault.FAIL_LOST) {
                for (Pending p : group) {
                    apply(visible, p.ops());
                    unsynced.add(p.ops());
                }
                if ((sync && fault != Fault.NOT_DURABLE) || fault == Fault.FAIL_APPLIED) {
                    for (WriteOps o : unsynced) {
                        apply(durable, o);
                    }
                    unsynced.clear();
                }
                writes += group.size();
                groups++;
            }
        }
        for (Pending p : group) {
            if (fault == Fault.NONE || fault == Fault.NOT_DURABLE) {
                p.done().complete(null);
            } else {
                p.done().completeExceptionally(new StoreFailedException("injected failure writing to " + name + " (" + fault + ")",
                        new IOException("injected: " + fault)));
            }
        }
    }

    private static void apply(NavigableMap<Bytes, byte[]> map, WriteOps ops) {
        for (int i = 0; i < ops.size(); i++) {
            byte[] v = ops.value(i);
            if (v == null) {
                map.remove(Bytes.wrap(ops.key(i)));
            } else {
                map.put(Bytes.wrap(ops.key(i)), v);
            }
        }
    }

    /**
     * The process or the machine crashes: this store is closed and writes not yet flushed are lost (their
     * futures never complete); a new store is returned over what survives: on a {@code powerLoss} only what
     * was synced, else everything flushed (the operating system still had the unsynced writes).
     */
    public synchronized MemoryStore crash(Disk newDisk, boolean powerLoss) {
        closed = true;
        queue.clear();
        MemoryStore restarted = new MemoryStore(name, newDisk, powerLoss ? durable : visible);
        restarted.faults = faults; // the same disk, with the same faults
        return restarted;
    }

    /** A copy of everything visible now (for checks). */
    public synchronized NavigableMap<Bytes, byte[]> contents() {
        return new TreeMap<>(visible);
    }

    @Override
    public synchronized Cursor scan(byte[] from, byte[] to) {
        checkOpen();
        NavigableMap<Bytes, byte[]> range = to == null ? visible.tailMap(Bytes.wrap(from), true)
                : visible.subMap(Bytes.wrap(from), true, Bytes.wrap(to), false);
        List<Map.Entry<byte[], byte[]>> copy = new ArrayList<>(range.size());
        range.forEach((k, v) -> copy.add(new AbstractMap.SimpleImmutableEntry<>(k.toArray(), Arrays.copyOf(v, v.length))));
        Iterator<Map.Entry<byte[], byte[]>> it = copy.iterator();
        return new Cursor() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Map.Entry<byte[], byte[]> next() {
                return it.next();
            }

            @Override
            public void close() {
                // a copy: nothing to release
            }
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store " + name + " is closed");
        }
    }

    @Override
    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public String location() {
        return "memory:" + name;
    }

    @Override
    public synchronized WriteStats stats() {
        return new WriteStats(writes, groups);
    }

    /** Flushes what is queued, then closes. */
    @Override
    public void close() {
        flush();
        synchronized (this) {
            closed = true;
        }
    }
}
