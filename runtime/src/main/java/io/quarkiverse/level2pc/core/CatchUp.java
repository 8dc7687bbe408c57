package io.quarkiverse.level2pc.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A catch-up source's answer (quorum mode), one page of what the caller missed: all its branches prepared
 * without the caller (the caller adopts them), some of its hints for the caller, whole, and the current
 * state of every key those hints name. The hints are dropped once the caller applied them. {@code more}: the
 * source left hints out to keep the answer small; the caller asks again once it applied this page and the
 * source dropped its hints, until an answer has no more.
 *
 * <p>
 * A page is safe to apply on its own: every key state carries its commit stamp, a node takes a state only if
 * it is newer than its own, and a hint is dropped only after the caller applied the states it names.
 */
public record CatchUp(List<KeyState> keys, List<PrepareRecord> inFlight, List<Bytes> hints, boolean more) {

    public CatchUp {
        keys = List.copyOf(keys);
        inFlight = List.copyOf(inFlight);
        hints = List.copyOf(hints);
    }

    /** A whole answer: every hint the source holds for the caller. */
    public CatchUp(List<KeyState> keys, List<PrepareRecord> inFlight, List<Bytes> hints) {
        this(keys, inFlight, hints, false);
    }

    /** Whether any of {@code answers} left hints out: the caller must ask again after applying them. */
    public static boolean anyMore(List<CatchUp> answers) {
        return answers.stream().anyMatch(CatchUp::more);
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
