package io.quarkiverse.level2pc.core;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one branch asks a participant to make durable: its writes (a {@code null} value deletes the
 * key), the versions it read (an empty version means "the key was absent") and the address of the
 * coordinator that can tell the outcome later (the callback site; empty for a local coordinator).
 * Everything needed to commit after a restart is in here.
 */
public record TxWork(NavigableMap<Bytes, byte[]> writes, Map<Bytes, Bytes> reads, String coordinator) {

    public TxWork {
        Objects.requireNonNull(writes, "writes is null");
        Objects.requireNonNull(reads, "reads is null");
        Objects.requireNonNull(coordinator, "coordinator is null");
        writes = Collections.unmodifiableNavigableMap(new TreeMap<>(writes));
        reads = Map.copyOf(reads);
    }

    public boolean isReadOnly() {
        return writes.isEmpty();
    }
}
