package io.quarkiverse.level2pc.node;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Participant;

/**
 * Decisions taken by hand: an operator commits or rolls back a branch left in doubt whose coordinator is lost
 * for good. Each is recorded durably before it is carried out and outlives the branch, so that a coordinator
 * that later sends the other decision is told (a heuristic outcome) instead of being obeyed silently.
 */
public final class Heuristics {

    private static final Logger LOG = Logger.getLogger(Heuristics.class);

    private final LocalNode node;
    private final Branches branches;
    /** Guarded by the node lock. */
    private final Map<BranchId, Outcome> decided = new HashMap<>();

    public Heuristics(LocalNode node) {
        this.node = node;
        this.branches = node.branches;
        decided.putAll(node.store().loadHeuristics());
    }

    /**
     * An operator's decision for a branch in doubt (a heuristic decision): recorded durably first, logged as
     * an error, then carried out. A coordinator that later sends the other decision is told so (see
     * {@link #heuristicOutcome}).
     *
     * @throws IllegalArgumentException if the branch is not prepared here
     */
    public CompletableFuture<Completion> decideHeuristically(BranchId id, boolean commit) {
        if (!branches.locked(() -> branches.participant.state(id) == Participant.State.PREPARED
                && branches.participant.hasPrepareRecord(id))) {
            throw new IllegalArgumentException("branch " + id + " is not in doubt on node '" + node.nodeName() + "'");
        }
        Outcome outcome = commit ? Outcome.COMMITTED : Outcome.ROLLED_BACK;
        String coordinator = node.coordinatorOf(id);
        return node.store().recordHeuristic(id, commit, node.scheduler().currentTimeMillis()).thenCompose(v -> {
            branches.locked(() -> decided.put(id, outcome));
            LOG.errorf("HEURISTIC DECISION on node '%s': branch %s of coordinator '%s' %s by an operator, without its "
                    + "coordinator's decision; if the coordinator decided otherwise the nodes now differ for its keys",
                    node.nodeName(), id, coordinator, commit ? "COMMITTED" : "ROLLED BACK");
            return commit ? node.commit(id) : node.rollback(id);
        });
    }

    /** The operator's decision for {@code id}, if one was taken by hand, else {@code null}. */
    public Outcome heuristicOutcome(BranchId id) {
        return branches.locked(() -> decided.get(id));
    }

    /** Every heuristic decision on record. */
    public Map<BranchId, Outcome> heuristics() {
        return branches.locked(() -> new HashMap<>(decided));
    }

    /** The coordinator forgot a heuristic outcome (XA {@code forget}): drop its record. */
    public void forgetHeuristic(BranchId id) {
        if (branches.locked(() -> decided.remove(id)) != null) {
            node.store().deleteHeuristic(id);
        }
    }
}
