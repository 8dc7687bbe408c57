package io.quarkiverse.level2pc.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A catch-up source's answer (quorum mode): the current state of every key its hints name for the
 * caller, its branches prepared without the caller (the caller adopts them), and the hints it sent
 * (dropped once the caller applied them).
 */
public record CatchUp(List<KeyState> keys, List<PrepareRecord> inFlight, List<Bytes> hints) {

    public CatchUp {
        keys = List.copyOf(keys);
        inFlight = List.copyOf(inFlight);
        hints = List.copyOf(hints);
    }

    /**
     * What the answers of several sources amount to: for each key the state with the greatest commit stamp
     * (the last write of it, see {@link Stamps}), each branch to adopt once, and the greatest stamp seen
     * (the node's clock moves past it).
     */
    public record Merged(Map<Bytes, KeyState> newest, Map<BranchId, PrepareRecord> branches, long maxStamp) {

        /** The key states newer than what the node holds ({@code local}), in key order. */
        public List<KeyState> newerThan(VersionLookup local) {
            List<KeyState> result = new ArrayList<>();
            for (KeyState k : newest.values()) {
                if (k.stamp() > local.stampOf(k.key())) {
                    result.add(k);
                }
            }
            return result;
        }
    }

    /** Merges the answers of the catch-up sources (order does not matter, except which copy of a branch is kept). */
    public static Merged merge(List<CatchUp> answers) {
        Map<Bytes, KeyState> newest = new TreeMap<>();
        Map<BranchId, PrepareRecord> branches = new LinkedHashMap<>();
        long max = 0;
        for (CatchUp a : answers) {
            for (KeyState k : a.keys()) {
                long stamp = k.stamp();
                max = Math.max(max, stamp);
                KeyState best = newest.get(k.key());
                if (best == null || stamp > best.stamp()) {
                    newest.put(k.key(), k);
                }
            }
            for (PrepareRecord r : a.inFlight()) {
                max = Math.max(max, r.work().stamp());
                branches.putIfAbsent(r.branch(), r);
            }
        }
        return new Merged(newest, branches, max);
    }
}
