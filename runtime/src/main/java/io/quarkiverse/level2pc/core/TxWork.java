package io.quarkiverse.level2pc.core;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one branch asks a participant to make durable: its writes (a {@code null} value deletes the
 * key), the versions it read (an empty version means "the key was absent") and the address of the
 * coordinator that can tell the outcome later (the callback site; empty for a local coordinator).
 * Everything needed to commit after a restart is in here.
 *
 * <p>
 * In quorum mode ({@code min-consensus} below the number of peers) it also carries the transaction's
 * commit {@code stamp} (see {@link Stamps}), the names of the nodes taking part ({@code participants},
 * the coordinator included) and how many nodes of the cluster are left out ({@code excluded}); in
 * full-replication mode {@code participants} is empty (every node takes part) and {@code excluded} is 0.
 */
public record TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator, long stamp,
        List<String> participants, int excluded) {

    public TxWork {
        Objects.requireNonNull(writes, "writes is null");
        Objects.requireNonNull(reads, "reads is null");
        Objects.requireNonNull(coordinator, "coordinator is null");
        writes = Collections.unmodifiableNavigableMap(new TreeMap<>(writes));
        reads = Map.copyOf(reads);
        participants = List.copyOf(participants);
        if (excluded < 0) {
            throw new IllegalArgumentException("excluded must be >= 0, got " + excluded);
        }
    }

    /** Full-replication work without a stamp. */
    public TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator) {
        this(writes, reads, coordinator, 0, List.of(), 0);
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
}
