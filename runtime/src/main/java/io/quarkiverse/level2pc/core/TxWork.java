package io.quarkiverse.level2pc.core;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one branch asks a participant to make durable: its writes (a {@code null} value deletes the
 * key), the versions it read (an empty version means "the key was absent") and the name of the
 * coordinator that can tell the outcome later (the callback site). Everything needed to commit after a
 * restart is in here.
 *
 * <p>
 * {@code priority} orders colliding transactions (wait-die, see {@link Participant#prepare}): the
 * coordinator's wall-clock millis when the transaction first tried to commit, kept across its retries, so
 * a transaction that keeps losing grows older and eventually wins. Smaller is older; ties are broken by
 * the global transaction id.
 *
 * <p>
 * In quorum mode ({@code min-consensus} below the number of peers) it also carries the transaction's
 * commit {@code stamp} (see {@link Stamps}), the names of the nodes taking part ({@code participants},
 * the coordinator included) and how many nodes of the cluster are left out ({@code excluded}); in
 * full-replication mode {@code participants} is empty (every node takes part) and {@code excluded} is 0.
 */
public record TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator, long stamp,
        List<String> participants, int excluded, long priority) {

    public TxWork {
        Objects.requireNonNull(writes, "writes is null");
        Objects.requireNonNull(reads, "reads is null");
        Objects.requireNonNull(coordinator, "coordinator is null");
        writes = Collections.unmodifiableNavigableMap(new TreeMap<>(writes));
        reads = Collections.unmodifiableNavigableMap(new TreeMap<>(reads)); // sorted: the same encoding on every JVM
        participants = List.copyOf(participants);
        if (excluded < 0) {
            throw new IllegalArgumentException("excluded must be >= 0, got " + excluded);
        }
    }

    /** Quorum-mode work without a priority (the oldest possible). */
    public TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator, long stamp,
            List<String> participants, int excluded) {
        this(writes, reads, coordinator, stamp, participants, excluded, 0);
    }

    /** Full-replication work without a stamp or priority. */
    public TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator) {
        this(writes, reads, coordinator, 0, List.of(), 0, 0);
    }

    public boolean isReadOnly() {
        return writes.isEmpty();
    }

    /** Whether this is quorum-mode work (stamp checked, tombstones and catch-up hints kept). */
    public boolean isQuorum() {
        return !participants.isEmpty();
    }

    /** The version this branch's writes carry. */
    public Bytes versionFor(BranchId id) {
        return Stamps.version(stamp, id.version());
    }

    /** The same work with another priority (a transaction's retries keep the first attempt's). */
    public TxWork withPriority(long p) {
        return new TxWork(writes, reads, coordinator, stamp, participants, excluded, p);
    }

    /** The same work with another quorum-mode stamp (a retry in quorum mode takes a fresh one). */
    public TxWork withStamp(long s, List<String> parts, int excl) {
        return new TxWork(writes, reads, coordinator, s, parts, excl, priority);
    }
}
