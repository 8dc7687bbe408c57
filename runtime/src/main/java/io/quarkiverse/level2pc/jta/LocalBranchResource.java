package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;

/**
 * The XA resource of one transaction on the local store, enlisted with Narayana. Maps the node's
 * answers onto XA: a conflict is {@code XA_RBROLLBACK} (carrying the {@link ConflictException} as
 * its cause), a storage failure during prepare is {@code XAER_RMERR}, during commit
 * {@code XAER_RMFAIL} (Narayana keeps its log and recovery retries), an unknown branch is
 * {@code XAER_NOTA}. Never "the same RM" as another resource: each node is its own branch.
 *
 * <p>
 * Serializable, like the peer branches: Narayana then keeps the resource itself in its log, and its
 * recovery completes the branch directly through the node registered with {@link #useForRecovery}.
 * The node's in-doubt resolver may complete the branch first (it asks this node's Narayana for the
 * outcome); the recovered commit then finds nothing and answers {@code XAER_NOTA}, which Narayana
 * counts as done, instead of searching forever for a resource that lists the branch.
 */
public final class LocalBranchResource extends AbstractNodeResource implements java.io.Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(LocalBranchResource.class);

    /** The node used by instances that Narayana's recovery deserialized from its log. */
    private static volatile java.util.function.Supplier<LocalNode> recoveryNode = () -> null;

    private final transient LocalNode node;
    private final transient TxContext ctx;

    public LocalBranchResource(LocalNode node, TxContext ctx) {
        this.node = node;
        this.ctx = ctx;
    }

    /** Lets branches restored from Narayana's log reach the open node. Set by the node at startup. */
    public static void useForRecovery(java.util.function.Supplier<LocalNode> node) {
        recoveryNode = node;
    }

    /** The live node, or for a restored branch the open node; {@code XAER_RMFAIL} while it is not open. */
    private LocalNode node() throws XAException {
        LocalNode n = node != null ? node : recoveryNode.get();
        if (n == null || !n.isOpen()) {
            throw new XAException(XAException.XAER_RMFAIL);
        }
        return n;
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        try {
            ctx.bind(XidValue.branchOf(xid));
        } catch (RuntimeException e) {
            throw xa(XAException.XAER_PROTO, e);
        }
    }

    @Override
    public void end(Xid xid, int flags) {
        // Nothing to do: the work is buffered in the context until prepare.
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        PeerFanout peers = ctx.fanout();
        if (peers != null) {
            // The peers prepare while this node syncs its own prepare record: one round trip in all.
            peers.startPrepares(ctx::freeze);
        }
        try {
            return node.prepare(id, ctx.freeze()) == LocalNode.Vote.READ_ONLY ? XA_RDONLY : XA_OK;
        } catch (RuntimeException e) {
            throw votedNo(ctx, e, XAException.XAER_RMERR, "Prepare of " + id + " failed on node '" + node.nodeName() + "'");
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        if (ctx == null) {
            completeSecondPhase(node(), id, true);
            return;
        }
        if (onePhase) {
            try {
                node.commitOnePhase(id, ctx.freeze());
            } catch (RuntimeException e) {
                throw votedNo(ctx, e, XAException.XAER_RMERR,
                        "One-phase commit of " + id + " failed on node '" + node.nodeName() + "'");
            }
            return;
        }
        PeerFanout peers = ctx.fanout();
        if (peers == null) {
            completeSecondPhase(node, id, true);
            return;
        }
        // Narayana commits this branch first, after logging its decision: the peers commit meanwhile.
        peers.startCommits();
        Codec.Decision decision = peers.decision(id.gtrid());
        completeSecondPhase(node, id, true, decision);
        // Only if this call recorded it (a branch already completed by the resolver records nothing).
        if (decision != null && node.hasDecision(id.gtrid())) {
            // The decision is now durable here, beyond Narayana's log: the peers' commits are this node's
            // business from now on (waited for, or finished in the background), never Narayana's recovery.
            peers.decisionRecorded(peer -> node.acknowledged(id.gtrid(), peer.toString()));
        }
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        if (ctx == null) {
            completeSecondPhase(node(), id, false);
            return;
        }
        PeerFanout peers = ctx.fanout();
        if (peers != null) {
            peers.startRollbacks();
        }
        // Rolling back a branch that never reached prepare (the usual rollback) finds nothing to do.
        try {
            node.rollback(id);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Rollback of %s failed on node '%s'", id, node.nodeName());
            throw xa(XAException.XAER_RMFAIL, e);
        }
    }

    /**
     * Commit or roll back a prepared branch, mapping the outcome onto XA. Shared with the recovery
     * resource.
     */
    static void completeSecondPhase(LocalNode node, BranchId id, boolean commit) throws XAException {
        completeSecondPhase(node, id, commit, null);
    }

    /** The same, recording the coordinator's commit {@code decision} with the commit (if not {@code null}). */
    static void completeSecondPhase(LocalNode node, BranchId id, boolean commit, Codec.Decision decision) throws XAException {
        LocalNode.Completion c;
        try {
            c = commit ? node.commit(id, decision) : node.rollback(id);
        } catch (RuntimeException e) {
            io.quarkiverse.level2pc.core.Outcome byHand = node.heuristicOutcome(id);
            if (byHand != null) {
                throw heuristic(byHand, commit, id, node.nodeName());
            }
            LOG.errorf(e, "%s of %s failed on node '%s'; recovery will retry", commit ? "Commit" : "Rollback", id, node.nodeName());
            throw xa(XAException.XAER_RMFAIL, e);
        }
        if (c == LocalNode.Completion.UNKNOWN) {
            io.quarkiverse.level2pc.core.Outcome byHand = node.heuristicOutcome(id);
            throw byHand != null ? heuristic(byHand, commit, id, node.nodeName()) : new XAException(XAException.XAER_NOTA);
        }
    }

    /**
     * The branch was decided by an operator ({@code byHand}) before the coordinator's decision arrived:
     * the same decision counts as done, the other one is reported to Narayana as a heuristic outcome.
     */
    static XAException heuristic(io.quarkiverse.level2pc.core.Outcome byHand, boolean commit, BranchId id, String where) {
        boolean committedByHand = byHand == io.quarkiverse.level2pc.core.Outcome.COMMITTED;
        if (committedByHand == commit) {
            return new XAException(XAException.XAER_NOTA);
        }
        LOG.errorf("Branch %s on node '%s' was %s by an operator, but its coordinator decided to %s it: heuristic outcome",
                id, where, committedByHand ? "committed" : "rolled back", commit ? "commit" : "roll back");
        return new XAException(committedByHand ? XAException.XA_HEURCOM : XAException.XA_HEURRB);
    }

    @Override
    public void forget(Xid xid) throws XAException {
        node().forgetHeuristic(XidValue.branchOf(xid));
    }

    @Override
    public Xid[] recover(int flag) {
        return RecoveryResource.recoverFrom(node != null ? node : recoveryNode.get(), flag);
    }

    /**
     * Maps a failed prepare or one-phase commit onto XA and remembers it in the context (for the
     * exception the application sees): a conflict is {@code XA_RBROLLBACK}, a lock wait timeout
     * {@code XA_RBTIMEOUT} (both: nothing applied, no rollback call follows), anything else
     * {@code otherwise}, logged with {@code what} when it is an error of the resource manager.
     */
    static XAException votedNo(TxContext ctx, RuntimeException e, int otherwise, String what) {
        ctx.fail(e);
        if (e instanceof ConflictException) {
            return xa(XAException.XA_RBROLLBACK, e);
        }
        if (e instanceof LockWaitTimeoutException) {
            return xa(XAException.XA_RBTIMEOUT, e);
        }
        if (otherwise == XAException.XAER_RMERR) {
            LOG.error(what, e);
        }
        return xa(otherwise, e);
    }

    static XAException xa(int code, Throwable cause) {
        XAException e = new XAException(code);
        e.initCause(cause);
        return e;
    }

    @Override
    public String toString() {
        // A branch restored from Narayana's log has no node of its own.
        return "level-2pc local branch" + (node != null ? " on node '" + node.nodeName() + "'" : " (recovered)");
    }
}
