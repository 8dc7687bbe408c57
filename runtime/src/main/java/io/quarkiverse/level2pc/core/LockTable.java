package io.quarkiverse.level2pc.core;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Locks held by prepared (or committing) branches. Written keys are locked exclusively, read keys
 * shared. A branch takes all its locks at once or none ({@link #tryLock}); the table itself never
 * blocks: whether a conflicting prepare waits (it is older than the holder) or votes NO (wait-die) is the
 * {@link Participant}'s rule, and the waiting is its driver's.
 *
 * <p>
 * Holding read locks from prepare to commit is what makes optimistic validation serializable across
 * nodes: every branch's lock point lies inside the window where all of its reads and writes are
 * pinned, on every node. Not thread-safe: the owner serialises access.
 */
public final class LockTable {

    private final NavigableMap<Bytes, BranchId> writeLocks = new TreeMap<>();
    private final Map<Bytes, Set<BranchId>> readLocks = new HashMap<>();
    private final Map<BranchId, Held> held = new HashMap<>();

    private record Held(List<Bytes> writes, List<Bytes> reads) {
    }

    /**
     * Takes every lock of {@code owner} or none.
     *
     * @return {@code null} when all locks were taken, otherwise the first conflict found
     */
    public Conflict tryLock(BranchId owner, Set<Bytes> writeKeys, Set<Bytes> readKeys) {
        if (held.containsKey(owner)) {
            throw new IllegalStateException("branch " + owner + " already holds locks");
        }
        for (Bytes key : writeKeys) {
            BranchId w = writeLocks.get(key);
            if (w != null && !w.equals(owner)) {
                return new Conflict(Conflict.Kind.LOCKED, key, w);
            }
            Set<BranchId> readers = readLocks.get(key);
            if (readers != null) {
                for (BranchId r : readers) {
                    if (!r.equals(owner)) {
                        return new Conflict(Conflict.Kind.LOCKED, key, r);
                    }
                }
            }
        }
        List<Bytes> onlyRead = readKeys.stream().filter(k -> !writeKeys.contains(k)).toList();
        for (Bytes key : onlyRead) {
            BranchId w = writeLocks.get(key);
            if (w != null && !w.equals(owner)) {
                return new Conflict(Conflict.Kind.LOCKED, key, w);
            }
        }
        for (Bytes key : writeKeys) {
            writeLocks.put(key, owner);
        }
        for (Bytes key : onlyRead) {
            readLocks.computeIfAbsent(key, k -> new HashSet<>()).add(owner);
        }
        held.put(owner, new Held(List.copyOf(writeKeys), onlyRead));
        return null;
    }

    /** Releases every lock of {@code owner}; a no-op if it holds none. */
    public void release(BranchId owner) {
        Held h = held.remove(owner);
        if (h == null) {
            return;
        }
        for (Bytes key : h.writes) {
            writeLocks.remove(key, owner);
        }
        for (Bytes key : h.reads) {
            Set<BranchId> readers = readLocks.get(key);
            if (readers != null) {
                readers.remove(owner);
                if (readers.isEmpty()) {
                    readLocks.remove(key);
                }
            }
        }
    }

    /** The branch holding {@code key} exclusively, or {@code null}. */
    public BranchId writeLockHolder(Bytes key) {
        return writeLocks.get(key);
    }

    /** The branches holding a key of {@code [from, to)} exclusively ({@code to == null}: unbounded). */
    public Set<BranchId> writeLockHoldersIn(Bytes from, Bytes to) {
        NavigableMap<Bytes, BranchId> range = to == null ? writeLocks.tailMap(from, true)
                : writeLocks.subMap(from, true, to, false);
        return new HashSet<>(range.values());
    }

    /** Whether any branch holds {@code key}, exclusively or shared. */
    public boolean isLocked(Bytes key) {
        return writeLocks.containsKey(key) || readLocks.containsKey(key);
    }

    public boolean holdsLocks(BranchId owner) {
        return held.containsKey(owner);
    }

    /** Number of keys locked exclusively (for metrics and tests). */
    public int writeLockCount() {
        return writeLocks.size();
    }

    /** Number of keys with at least one shared lock (for metrics and tests). */
    public int readLockCount() {
        return readLocks.size();
    }
}
