package io.quarkiverse.level2pc.core;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A coordinator's commit decision, kept durably until every peer acknowledged its commit: the global
 * transaction id and the peer branches still to commit, keyed by peer address. It is written in the same
 * synced batch as the coordinator's own commit (so the decision and the local writes are one atomic fact),
 * shrinks as peers acknowledge, and is deleted when no peer is left.
 */
public record Decision(Bytes gtrid, Map<String, BranchId> peers) {

    public Decision {
        // Sorted, not Map.copyOf: its iteration order changes from one JVM to the next, and the order peers are
        // sent their commits must not (the cluster simulation replays a seed exactly).
        peers = Collections.unmodifiableMap(new TreeMap<>(peers));
    }

    /** The same decision once {@code peer} acknowledged its commit. */
    public Decision without(String peer) {
        Map<String, BranchId> rest = new HashMap<>(peers);
        rest.remove(peer);
        return new Decision(gtrid, rest);
    }

    /** Whether every peer acknowledged (the decision can be forgotten). */
    public boolean isSettled() {
        return peers.isEmpty();
    }
}
