package io.quarkiverse.level2pc.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Quorum mode's read fencing ({@code min-consensus} below the number of peers): read leases granted by
 * peers, the promises this node gives in return, and whether this node is current (caught up since its
 * lease last lapsed).
 *
 * <p>
 * The rule, with {@code L = read-lease}: every answered {@code hello} from node X is a <em>grant</em>: the
 * answering node promises not to prepare (nor coordinate) a transaction that leaves X out for {@code 2L}
 * from the moment it answered. Node X holds a <em>lease</em> until {@code L} after it <em>sent</em> the
 * {@code hello} of the {@code min-consensus}-th most recent grant. X serves reads only while it holds its
 * lease and is current. A transaction that leaves X out commits only on a quorum of {@code min-consensus}
 * + 1 nodes; since {@code min-consensus >= N - quorum}, that quorum contains a node whose promise to X is
 * the one X's lease rests on, so it cannot commit before that promise ends, {@code 2L} after the grant,
 * which is later than X's lease ends ({@code L} after X sent the request, which came before the grant).
 * X therefore stops reading before any commit it misses. When X's lease lapses it is no longer current: it
 * catches up from its grantors before it reads or votes again. All times are measured with
 * the node's monotonic clock ({@code nanos}); only durations are compared across nodes (clock-rate drift
 * between two nodes must stay far below 50%). Peers are named by their node names. Pure: no I/O, the
 * clock is passed in; thread-safe (its methods are synchronised: heartbeats and prepares consult it from
 * different threads).
 */
public final class QuorumLease {

    private final String self;
    private final int required;
    private final long leaseNanos;
    private final long promiseNanos;
    private final LongSupplier nanos;
    /** When this node last answered a hello of each node (its promise to that node started then). */
    private final Map<String, Long> granted = new HashMap<>();
    /** When this node sent the hello each peer (by name) last answered (the start of that peer's grant). */
    private final Map<String, Long> grants = new HashMap<>();
    private boolean current;
    /** Incremented whenever the lease is found lapsed: a catch-up that started before is stale. */
    private long epoch;

    private final int clusterSize;
    private final long startedNanos;

    /**
     * @param required {@code min-consensus}: how many peers' grants make a lease
     * @param clusterSize the number of nodes, this one included
     */
    public QuorumLease(String self, int required, int clusterSize, Duration lease, LongSupplier nanos) {
        this.self = self;
        this.required = required;
        this.clusterSize = clusterSize;
        this.leaseNanos = lease.toNanos();
        this.promiseNanos = 2 * lease.toNanos();
        this.nanos = nanos;
        this.startedNanos = nanos.getAsLong();
    }

    /** Gives up the lease (a catch-up that cannot finish now): grants must be asked for again. */
    public synchronized void dropGrants() {
        grants.clear();
        lapsed();
    }

    /** This node answered a hello of node {@code name}: its promise to that node is renewed. */
    public synchronized void promised(String name) {
        granted.put(name, nanos.getAsLong());
    }

    /** Peer {@code peer} (its node name) answered a hello this node sent at {@code sentNanos}. */
    public synchronized void granted(String peer, long sentNanos) {
        long now = nanos.getAsLong();
        if (leaseEnd() - now <= 0) {
            lapsed();
        }
        Long before = grants.get(peer);
        if (before == null || sentNanos - before > 0) {
            grants.put(peer, sentNanos);
        }
    }

    /**
     * A grantor said this node is behind: it holds a transaction written without this node, or a hint for one,
     * that this node has not caught up with (a prepare that reached it before its promise, then was delayed). A
     * current node stops being current at once, as on a lapse, and catches up from its grantors, the one that
     * said so included (its answer still counts as a grant, recorded before). A node that is not current ignores
     * it: its catch-up's sources promised it throughout, so their answers hold what they said it lacks, and a
     * grantor that is not one of its sources says so again at its next hello once it turned current. Returns
     * whether this node stopped being current.
     */
    public synchronized boolean behind() {
        if (!current) {
            return false;
        }
        lapsed();
        return true;
    }

    /** The lease ran out: not current until a catch-up that starts after this finishes. */
    private void lapsed() {
        current = false;
        epoch++;
    }

    /** The end of this node's lease: {@code L} after the {@code required}-th most recent grant was asked for. */
    private long leaseEnd() {
        if (required == 0) {
            return Long.MAX_VALUE;
        }
        List<Long> starts = new ArrayList<>(grants.values());
        if (starts.size() < required) {
            return nanos.getAsLong() - 1;
        }
        starts.sort((a, b) -> Long.compare(b - a, 0)); // most recent first (nanoTime may wrap: compare differences)
        return starts.get(required - 1) + leaseNanos;
    }

    /** Whether this node holds its read lease now; a lapse found here makes it not current. */
    public synchronized boolean leaseHeld() {
        if (leaseEnd() - nanos.getAsLong() <= 0) {
            lapsed();
            return false;
        }
        return true;
    }

    /** Whether this node may serve reads and vote: it holds its lease and caught up since the last lapse. */
    public synchronized boolean readable() {
        return leaseHeld() && current;
    }

    public synchronized boolean isCurrent() {
        return current;
    }

    /** The lapse counter: a catch-up records it when it starts and completes only if it did not change. */
    public synchronized long epoch() {
        leaseHeld();
        return epoch;
    }

    /** A catch-up that started at {@code startEpoch} finished: current, unless the lease lapsed meanwhile. */
    public synchronized boolean caughtUp(long startEpoch) {
        if (leaseHeld() && epoch == startEpoch) {
            current = true;
        }
        return current;
    }

    /** The peers (node names) whose grants hold now (the catch-up sources). */
    public synchronized List<String> grantors() {
        long now = nanos.getAsLong();
        List<String> result = new ArrayList<>();
        grants.forEach((uri, sent) -> {
            if (sent + leaseNanos - now > 0) {
                result.add(uri);
            }
        });
        return result;
    }

    /** A promise still running: not to commit without node {@code name} for {@code remainingMillis} more. */
    public record Promise(String name, long remainingMillis) {
        @Override
        public String toString() {
            return name + " (for " + remainingMillis + " ms more)";
        }
    }

    /** Why a quorum-mode prepare is refused here; {@code retryAfterMillis} is when trying again can succeed (0: unknown). */
    public record Refusal(Kind kind, String reason, long retryAfterMillis) {
        public enum Kind {
            /** This node does not hold its read lease or is catching up. */
            NOT_READABLE,
            /** This node promised a node left out of the transaction not to commit without it. */
            PROMISED
        }
    }

    /**
     * The promises still running to nodes outside {@code participants}. Promises are kept in memory only, so
     * for {@code 2 x read-lease} after it started this node counts as having promised every node (it may have,
     * before a restart): that one is named "every node left out".
     */
    public synchronized List<Promise> promisedOutside(Collection<String> participants) {
        long now = nanos.getAsLong();
        List<Promise> result = new ArrayList<>();
        if (participants.size() < clusterSize && startedNanos + promiseNanos - now > 0) {
            result.add(new Promise("every node left out (node '" + self + "' started "
                    + TimeUnit.NANOSECONDS.toMillis(now - startedNanos) + " ms ago and may have promised them before)",
                    TimeUnit.NANOSECONDS.toMillis(startedNanos + promiseNanos - now) + 1));
        }
        granted.forEach((name, at) -> {
            if (!name.equals(self) && !participants.contains(name) && at + promiseNanos - now > 0) {
                result.add(new Promise(name, TimeUnit.NANOSECONDS.toMillis(at + promiseNanos - now) + 1));
            }
        });
        return result;
    }

    /**
     * The check every quorum-mode prepare passes first: this node must be current, and must not have
     * promised a node left out of the transaction. Returns {@code null} when the prepare may go on.
     */
    public Refusal checkPrepare(TxWork work) {
        if (!readable()) {
            return new Refusal(Refusal.Kind.NOT_READABLE, "node '" + self + "' does not hold its read lease or is catching up;"
                    + " it takes part in transactions again once it caught up (quarkus.level-2pc.read-lease)", 0);
        }
        List<Promise> promised = promisedOutside(work.participants());
        if (!promised.isEmpty()) {
            long longest = promised.stream().mapToLong(Promise::remainingMillis).max().orElse(0);
            return new Refusal(Refusal.Kind.PROMISED, "node '" + self + "' promised " + promised
                    + " not to commit without them (their read lease, quarkus.level-2pc.read-lease)", longest);
        }
        return null;
    }

    /** One line for health data and errors. */
    public synchronized String describe() {
        long now = nanos.getAsLong();
        long end = leaseEnd();
        return (end - now > 0 ? "lease held for " + TimeUnit.NANOSECONDS.toMillis(end - now) + " ms more" : "no read lease")
                + ", " + (current ? "current" : "catching up") + ", " + grantors().size() + " grant(s) of " + required
                + " needed";
    }
}
