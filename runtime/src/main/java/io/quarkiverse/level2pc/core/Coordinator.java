package io.quarkiverse.level2pc.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator side of two-phase commit for one node, as a deterministic state machine: the
 * transactions this node coordinates and their votes, its commit decisions until every peer acknowledged
 * them, and its answer to "what became of this transaction?" (the callback site).
 *
 * <pre>
 *   begin --> PREPARING --every vote YES--> DECIDING --decision durable--> COMMITTED --every peer acked--> (forgotten)
 *                 |                            ^
 *                 |   (external) every vote YES --> PREPARED --commitRequested
 *                 \--a NO, a failure, abort (or abort in PREPARED)--> ROLLING_BACK --rolled back--> (forgotten: presumed abort)
 * </pre>
 *
 * A transaction begun as <em>externally decided</em> is the branch of a transaction manager's two-phase
 * commit (Narayana with another resource): once every vote is YES it waits in PREPARED for that
 * manager's decision instead of deciding itself.
 *
 * The rules it keeps: commit only when the local branch and every peer voted YES; the decision is made
 * durable (in the same synced batch as the local branch's commit) <em>before</em> any commit is sent; a
 * decision is forgotten only when every peer acknowledged its commit; while the decision is being written
 * the answer is {@link Outcome#IN_PROGRESS}, never {@code COMMITTED}. A transaction this node neither
 * runs nor holds a decision for is answered {@link Outcome#UNKNOWN}: the caller presumes abort (or asks
 * the transaction manager that owns it). A decision that could not be made durable (the store failed)
 * leaves its transaction in DECIDING, answered {@code IN_PROGRESS}, until the node restarts and reads what
 * its store holds: neither committing nor rolling back is safe while a failed write may still surface.
 *
 * <p>
 * Performs no I/O; the caller executes what the returned {@link Next} says. Not thread-safe: the caller
 * serialises calls.
 */
public final class Coordinator {

    public enum Phase {
        /** Waiting for votes. */
        PREPARING,
        /** Externally decided: every vote was YES; waiting for the transaction manager's decision. */
        PREPARED,
        /** Every vote was YES (and, externally decided, the manager said commit); the decision is being made durable. */
        DECIDING,
        /** The decision is durable; peers are committing. */
        COMMITTED,
        /** A vote was NO (or a failure, or an abort request): rolling back. */
        ROLLING_BACK
    }

    /** What the caller must do after a vote, a failure or an abort request. */
    public sealed interface Next {
    }

    /** Wait for more votes. */
    public record Await() implements Next {
    }

    /**
     * Every vote was YES: commit the local branch and write {@code decision} (the peers to commit) in ONE
     * synced batch, then call {@link #decisionDurable}; only then send the peers' commits.
     */
    public record Commit(Decision decision) implements Next {
    }

    /**
     * Roll back: release the local branch, and roll back the branches of {@code peers} (each only after its
     * prepare has answered or failed, so a rollback never overtakes its prepare); then call
     * {@link #rolledBack}. {@code cause} is the first refusal or failure.
     */
    public record Abort(List<String> peers, Object cause) implements Next {
    }

    /** Externally decided: every vote was YES; answer YES to the transaction manager and wait for its decision. */
    public record Prepared() implements Next {
    }

    /** The transaction already left PREPARING: nothing to do for this event. */
    public record Ignore(Phase phase) implements Next {
    }

    private static final class Tx {
        final BranchId branch;
        final Set<String> peers;
        final Set<String> awaiting;
        final Set<String> yes = new LinkedHashSet<>();
        /** Peers whose prepare failed without a vote: they may have prepared (the answer was lost). */
        final Set<String> unknown = new LinkedHashSet<>();
        final boolean external;
        boolean localLocked;
        Phase phase = Phase.PREPARING;

        Tx(BranchId branch, Collection<String> peers, boolean external) {
            this.branch = branch;
            this.external = external;
            this.peers = new LinkedHashSet<>(peers);
            this.awaiting = new LinkedHashSet<>(peers);
        }
    }

    private final Map<Bytes, Tx> running = new HashMap<>();
    private final Map<Bytes, Decision> decisions = new LinkedHashMap<>();

    /** Restores the decisions found in the store after a restart: their peers are committed again. */
    public void restore(Collection<Decision> found) {
        for (Decision d : found) {
            if (!d.isSettled()) {
                decisions.put(d.gtrid(), d);
            }
        }
    }

    /**
     * Starts a transaction whose branch {@code branch} is to be prepared on the local node and on {@code peers};
     * {@code external}: decided by a transaction manager (see {@link #commitRequested}), not by this node.
     */
    public void begin(BranchId branch, Collection<String> peers, boolean external) {
        Bytes g = branch.gtrid();
        if (running.containsKey(g) || decisions.containsKey(g)) {
            throw new IllegalStateException("transaction " + g + " is already coordinated here");
        }
        running.put(g, new Tx(branch, peers, external));
    }

    /**
     * The transaction manager decided to commit an externally decided transaction: granted in PREPARED
     * (write the decision, as for {@link Commit}); anything else is refused with an {@link IllegalStateException}.
     */
    public Next commitRequested(Bytes gtrid) {
        Tx t = tx(gtrid);
        if (!t.external || t.phase != Phase.PREPARED) {
            throw new IllegalStateException("commit of " + t.branch + " requested in phase " + t.phase);
        }
        return decide(t);
    }

    /** The local branch is validated and locked. */
    public Next localLocked(Bytes gtrid) {
        Tx t = running.get(gtrid);
        if (t == null) {
            return new Ignore(Phase.ROLLING_BACK); // rolled back and forgotten already
        }
        if (t.phase != Phase.PREPARING) {
            return new Ignore(t.phase);
        }
        t.localLocked = true;
        return decideIfComplete(t);
    }

    /** {@code peer} voted YES. A read-only vote counts as YES with nothing to commit there. */
    public Next voted(Bytes gtrid, String peer, boolean readOnly) {
        Tx t = running.get(gtrid);
        if (t == null) {
            return new Ignore(Phase.ROLLING_BACK); // a late vote of a transaction rolled back and forgotten
        }
        if (t.phase != Phase.PREPARING) {
            return new Ignore(t.phase);
        }
        if (!t.awaiting.remove(peer)) {
            throw new IllegalStateException("peer " + peer + " voted twice or is not part of " + t.branch);
        }
        if (!readOnly) {
            t.yes.add(peer);
        }
        return decideIfComplete(t);
    }

    /**
     * The local branch or {@code peer} ({@code null}: the local branch) refused or failed. {@code mayHavePrepared}
     * is false for a definite NO vote (nothing is held there), true when the answer was lost.
     */
    public Next refused(Bytes gtrid, String peer, boolean mayHavePrepared, Object cause) {
        Tx t = running.get(gtrid);
        if (t == null) {
            return new Ignore(Phase.ROLLING_BACK);
        }
        if (peer != null) {
            t.awaiting.remove(peer);
            if (mayHavePrepared) {
                t.unknown.add(peer);
            }
        }
        if (t.phase != Phase.PREPARING) {
            return new Ignore(t.phase);
        }
        return abort(t, cause);
    }

    /**
     * An abort requested from outside (the transaction timed out, the application rolled it back): granted
     * while votes are still awaited, ignored once the transaction is deciding or decided.
     */
    public Next abortRequested(Bytes gtrid, Object cause) {
        Tx t = running.get(gtrid);
        if (t == null) {
            return new Ignore(decisions.containsKey(gtrid) ? Phase.COMMITTED : Phase.ROLLING_BACK);
        }
        if (t.phase != Phase.PREPARING && t.phase != Phase.PREPARED) {
            return new Ignore(t.phase);
        }
        return abort(t, cause);
    }

    private Next abort(Tx t, Object cause) {
        t.phase = Phase.ROLLING_BACK;
        List<String> rollback = new ArrayList<>();
        for (String p : t.peers) {
            // Peers still awaited, that voted YES or whose answer was lost; a definite NO holds nothing.
            if (t.awaiting.contains(p) || t.yes.contains(p) || t.unknown.contains(p)) {
                rollback.add(p);
            }
        }
        return new Abort(rollback, cause);
    }

    private Next decideIfComplete(Tx t) {
        if (!t.localLocked || !t.awaiting.isEmpty()) {
            return new Await();
        }
        if (t.external) {
            t.phase = Phase.PREPARED;
            return new Prepared();
        }
        return decide(t);
    }

    private Next decide(Tx t) {
        t.phase = Phase.DECIDING;
        Map<String, BranchId> commit = new LinkedHashMap<>();
        for (String p : t.yes) {
            commit.put(p, t.branch);
        }
        return new Commit(new Decision(t.branch.gtrid(), commit));
    }

    /**
     * The decision of a transaction in DECIDING is durable: from now on it is committed, and the peers it
     * names are to be sent their commits. Returns them.
     */
    public Collection<String> decisionDurable(Decision decision) {
        Tx t = tx(decision.gtrid());
        if (t.phase != Phase.DECIDING) {
            throw new IllegalStateException("decision of " + t.branch + " made durable in phase " + t.phase);
        }
        t.phase = Phase.COMMITTED;
        running.remove(decision.gtrid());
        if (!decision.isSettled()) {
            decisions.put(decision.gtrid(), decision);
        }
        return decision.peers().keySet();
    }

    /**
     * {@code peer} acknowledged the commit of {@code gtrid}: returns the decision left to keep (settled when no
     * peer is left: delete it), or {@code null} if nothing changed (unknown or duplicate acknowledgement).
     */
    public Decision acknowledged(Bytes gtrid, String peer) {
        Decision d = decisions.get(gtrid);
        if (d == null || !d.peers().containsKey(peer)) {
            return null;
        }
        Decision rest = d.without(peer);
        if (rest.isSettled()) {
            decisions.remove(gtrid);
        } else {
            decisions.put(gtrid, rest);
        }
        return rest;
    }

    /** The transaction in ROLLING_BACK finished rolling back: it is forgotten (presumed abort from now on). */
    public void rolledBack(Bytes gtrid) {
        Tx t = running.get(gtrid);
        if (t != null && t.phase == Phase.ROLLING_BACK) {
            running.remove(gtrid);
        }
    }

    /** What this node, as coordinator, knows of transaction {@code gtrid} (the callback site). */
    public Outcome outcomeOf(Bytes gtrid) {
        Tx t = running.get(gtrid);
        if (t != null) {
            return switch (t.phase) {
                case PREPARING, PREPARED, DECIDING -> Outcome.IN_PROGRESS;
                case COMMITTED -> Outcome.COMMITTED;
                case ROLLING_BACK -> Outcome.ROLLED_BACK;
            };
        }
        return decisions.containsKey(gtrid) ? Outcome.COMMITTED : Outcome.UNKNOWN;
    }

    /** The phase of a running transaction, or {@code null}. */
    public Phase phase(Bytes gtrid) {
        Tx t = running.get(gtrid);
        return t == null ? null : t.phase;
    }

    /** Whether a commit decision of {@code gtrid} is kept (some peer has not acknowledged it). */
    public boolean hasDecision(Bytes gtrid) {
        return decisions.containsKey(gtrid);
    }

    /** Every decision some peer has not acknowledged yet. */
    public List<Decision> decisions() {
        return new ArrayList<>(decisions.values());
    }

    /** How many transactions are running here (prepares under way, deciding or rolling back). */
    public int runningCount() {
        return running.size();
    }

    private Tx tx(Bytes gtrid) {
        Tx t = running.get(gtrid);
        if (t == null) {
            throw new IllegalStateException("transaction " + gtrid + " is not running here");
        }
        return t;
    }
}
