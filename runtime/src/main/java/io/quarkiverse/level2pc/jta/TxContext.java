package io.quarkiverse.level2pc.jta;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.Versioned;

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
    private boolean peersEnlisted;
    private PeerFanout fanout;
    private Cluster.WriteSet writeSet;
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

    /** The transaction read the key before: {@code value} is {@code null} if it was absent. */
    public record Cached(byte[] value) implements Local {
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
        return new Cached(v == ABSENT ? null : v.value());
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

    /** Who takes part in the transaction's writes (set when the peers are enlisted). */
    synchronized void writeSet(Cluster.WriteSet set) {
        this.writeSet = set;
    }

    /**
     * Freezes the context and returns what must be prepared; no write is accepted afterwards. In quorum
     * mode the commit stamp is taken on the first call: every branch prepares the same work.
     */
    public synchronized TxWork freeze() {
        frozen = true;
        if (work == null) {
            work = writeSet == null || writeSet.participants().isEmpty() ? new TxWork(writes, readVersions, coordinator)
                    : new TxWork(writes, readVersions, coordinator, writeSet.stamps().getAsLong(), writeSet.participants(),
                            writeSet.excluded());
        }
        return work;
    }

    synchronized boolean peersEnlisted() {
        return peersEnlisted;
    }

    synchronized void markPeersEnlisted(PeerFanout fanout) {
        peersEnlisted = true;
        this.fanout = fanout;
    }

    /** The peers' parallel calls of this transaction, or {@code null} if no peer is enlisted. */
    synchronized PeerFanout fanout() {
        return fanout;
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
