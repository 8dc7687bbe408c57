package io.quarkiverse.level2pc.storage;

import java.io.Closeable;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The node's key-value store, as the layers above need it: byte keys in unsigned lexicographic order,
 * atomic batches that can be made durable, and scans over a consistent snapshot. Implemented over iq80
 * LevelDB ({@link LevelStore}) and in memory ({@link MemoryStore}, for tests and the cluster simulation);
 * {@code StoreContractTest} holds both to the same contract.
 *
 * <p>
 * Contract: {@link #write} applies all of its operations or none; with {@code sync} the returned future
 * completes only once they are durable (and every write that completed before it is durable too, as in a
 * log); a write is visible to {@link #get} and {@link #scan} once its future completed. A failed write
 * completes exceptionally. Thread-safe.
 */
public interface Store extends Closeable {

    /** The value of {@code key}, or {@code null}. */
    byte[] get(byte[] key);

    /** Applies {@code ops} atomically; with {@code sync}, durably. */
    CompletableFuture<Void> write(WriteOps ops, boolean sync);

    /**
     * The entries with {@code from <= key < to} ({@code to == null}: unbounded), in key order, from one
     * snapshot: a write is seen entirely or not at all. The caller closes it.
     */
    Cursor scan(byte[] from, byte[] to);

    /** Whether the store is open. */
    boolean isOpen();

    /** Where the store lives, for messages (a directory, or a description of an in-memory store). */
    String location();

    /** How many writes were applied, in how many store writes (syncs when syncing): group commit at work. */
    WriteStats stats();

    @Override
    void close();

    /** An ordered cursor over a snapshot; close it to release the snapshot. */
    interface Cursor extends Iterator<Map.Entry<byte[], byte[]>>, Closeable {
        @Override
        void close();
    }

    /** {@code writes} callers' writes were applied in {@code groups} store writes. */
    record WriteStats(long writes, long groups) {
    }
}
