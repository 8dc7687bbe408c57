package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.LocalNode;

/**
 * The XA resource of one transaction on the local store, enlisted with Narayana. Maps the node's
 * answers onto XA: a conflict is {@code XA_RBROLLBACK} (carrying the {@link ConflictException} as
 * its cause), a storage failure during prepare is {@code XAER_RMERR}, during commit
 * {@code XAER_RMFAIL} (Narayana keeps its log and recovery retries), an unknown branch is
 * {@code XAER_NOTA}. Deliberately not {@code Serializable} and never "the same RM" as another
 * resource: each node is its own branch.
 */
public final class LocalBranchResource extends AbstractNodeResource {

    private static final Logger LOG = Logger.getLogger(LocalBranchResource.class);

    private final LocalNode node;
    private final TxContext ctx;

    public LocalBranchResource(LocalNode node, TxContext ctx) {
        this.node = node;
        this.ctx = ctx;
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
        if (peers != null) {
            // Narayana commits this branch first, after logging its decision: the peers commit meanwhile.
            peers.startCommits();
        }
        completeSecondPhase(node, id, true);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        BranchId id = XidValue.branchOf(xid);
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
        LocalNode.Completion c;
        try {
            c = commit ? node.commit(id) : node.rollback(id);
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s of %s failed on node '%s'; recovery will retry", commit ? "Commit" : "Rollback", id, node.nodeName());
            throw xa(XAException.XAER_RMFAIL, e);
        }
        if (c == LocalNode.Completion.UNKNOWN) {
            throw new XAException(XAException.XAER_NOTA);
        }
    }

    @Override
    public void forget(Xid xid) {
        // No heuristic decisions are taken by this resource, so there is nothing to forget.
    }

    @Override
    public Xid[] recover(int flag) {
        return RecoveryResource.recoverFrom(node, flag);
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
        return "level-2pc local branch on node '" + node.nodeName() + "'";
    }
}
