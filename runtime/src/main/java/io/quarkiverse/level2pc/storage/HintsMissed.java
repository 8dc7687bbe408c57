package io.quarkiverse.level2pc.storage;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.core.Hint;

/**
 * Quorum mode: which nodes missed a commit whose catch-up hint this node keeps, asked at every lease-asking
 * {@code hello} (the "behind" answer). Remembered per node name once found by a scan of the hints, so that a
 * heartbeat reads no hint records: a hint that becomes visible marks every remembered node it leaves out at
 * once; a hint dropped or rewritten (a node caught up) makes every node be scanned for again. A scan that
 * overlapped a change is not remembered. Thread-safe.
 */
final class HintsMissed {

    private final Supplier<List<Hint>> hints;
    private final Map<String, Boolean> missedBy = new HashMap<>();
    private long changes;

    HintsMissed(Supplier<List<Hint>> hints) {
        this.hints = hints;
    }

    /** Whether a hint that node {@code name} missed (and has not caught up with) is on record. */
    boolean any(String name) {
        long seen;
        synchronized (this) {
            Boolean known = missedBy.get(name);
            if (known != null) {
                return known;
            }
            seen = changes;
        }
        boolean found = hints.get().stream().anyMatch(h -> h.missedBy(name));
        synchronized (this) {
            if (seen == changes) {
                missedBy.put(name, found);
            }
        }
        return found;
    }

    /** A commit's hint is visible now (or may be: its write failed): the nodes it leaves out missed it. */
    synchronized void kept(List<String> participants) {
        changes++;
        missedBy.replaceAll((name, had) -> had || !participants.contains(name));
    }

    /** Hints were dropped or rewritten: every node is scanned for again. */
    synchronized void dropped() {
        changes++;
        missedBy.clear();
    }
}
