package io.quarkiverse.level2pc.jta;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;

/**
 * The node-side state of one JTA transaction: its buffered writes (a {@code null} value deletes),
 * the versions of what it read, and read values cached so that repeated reads agree. One context per
 * transaction covers every named database (keys carry the database prefix). Synchronised because a
 * timeout rollback arrives on Narayana's reaper thread.
 */
public final class TxContext {

    /** Marks "read and found absent" in {@link #readCache}. */
    private static final Versioned ABSENT = new Versioned(new byte[0], Bytes.EMPTY);

    private final TreeMap<Bytes, byte[]> writes = new TreeMap<>();
    private final Map<Bytes, Bytes> readVersions = new HashMap<>();
    private final Map<Bytes, Versioned> readCache = new HashMap<>();
    private final String coordinator;
    private BranchId branch;
    private boolean frozen;
    private boolean writable;
    private boolean preparedExternally;
    private TxWork work;
    private volatile RuntimeException failure;

    public TxContext(String coordinator) {
        this.coordinator = coordinator;
    }

    /** Result of looking a key up in the transaction's own state. */
    public sealed interface Local {
    }

    /** The transaction wrote the key: {@code value} is {@code null} if it deleted it. */
    public record Written(byte[] value) implements Local {
    }

    /**
     * The transaction read the key before: {@code value} is {@code null} if it was absent; {@code version} is the
     * committed version it read ({@link Bytes#EMPTY} if absent).
     */
    public record Cached(byte[] value, Bytes version) implements Local {
    }

    /** Own writes first, then earlier reads; {@code null} if the transaction has not seen the key. */
    public synchronized Local lookup(Bytes key) {
        if (writes.containsKey(key)) {
            return new Written(writes.get(key));
        }
        Versioned v = readCache.get(key);
        if (v == null) {
            return null;
        }
        return v == ABSENT ? new Cached(null, Bytes.EMPTY) : new Cached(v.value(), v.version());
    }

    /** Records a read of committed data ({@code v == null}: absent) for validation at prepare. */
    public synchronized void recordRead(Bytes key, Versioned v) {
        checkOpen();
        readVersions.putIfAbsent(key, v == null ? Bytes.EMPTY : v.version());
        readCache.putIfAbsent(key, v == null ? ABSENT : v);
    }

    public synchronized void write(Bytes key, byte[] valueOrNullToDelete) {
        checkOpen();
        writes.put(key, valueOrNullToDelete);
    }

    public synchronized void writeAll(Map<Bytes, byte[]> batch) {
        checkOpen();
        writes.putAll(batch);
    }

    /** The transaction's writes in {@code [from, to)} ({@code to == null}: unbounded), as a copy. */
    public synchronized NavigableMap<Bytes, byte[]> writesIn(Bytes from, Bytes to) {
        NavigableMap<Bytes, byte[]> sub = to == null ? writes.tailMap(from, true) : writes.subMap(from, true, to, false);
        return new TreeMap<>(sub);
    }

    /**
     * Freezes the context and returns what must be committed; no write is accepted afterwards. The commit
     * stamp and priority are the coordinator's to add.
     */
    public synchronized TxWork freeze() {
        frozen = true;
        if (work == null) {
            work = new TxWork(writes, readVersions, coordinator);
        }
        return work;
    }

    /** Whether the first write already checked that the node may write. */
    synchronized boolean isWritable() {
        return writable;
    }

    synchronized void markWritable() {
        writable = true;
    }

    /** The transaction manager prepared this transaction (two-phase commit with another resource). */
    synchronized void preparedExternally() {
        preparedExternally = true;
    }

    synchronized boolean isPreparedExternally() {
        return preparedExternally;
    }

    synchronized void bind(BranchId id) {
        if (branch == null) {
            branch = id;
        } else if (!branch.equals(id)) {
            throw new IllegalStateException("context of branch " + branch + " started again as " + id);
        }
    }

    public synchronized BranchId branch() {
        return branch;
    }

    /** The conflict or failure that made the transaction roll back, if it came from this node. */
    public RuntimeException failure() {
        return failure;
    }

    void fail(RuntimeException e) {
        failure = e;
    }

    private void checkOpen() {
        if (frozen) {
            throw new IllegalStateException("the transaction is completing: no more reads or writes through it");
        }
    }
}
