package io.quarkiverse.level2pc.jta;

import java.net.URI;

import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.transport.PeerClient;

/**
 * The XA resource of one transaction on one peer: Narayana drives it like the local branch, and it
 * forwards each phase over the {@link PeerClient}. The peer's participant does the validation,
 * locking and durable prepare record, with the same rules as the local node. An unreachable peer
 * during prepare is {@code XAER_RMFAIL} (the transaction rolls back). At commit, once the local branch
 * has recorded the coordinator's decision, a failed peer commit is the node's to finish (its resolver
 * resends it): the branch returns normally (at once with background commits). Only without a recorded
 * decision, or for a branch restored from Narayana's log, is a failed commit {@code XAER_RMFAIL}, left
 * to Narayana's recovery.
 */
public final class PeerBranchResource extends AbstractNodeResource implements java.io.Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(PeerBranchResource.class);

    /**
     * The client used by instances that Narayana's recovery deserialized from its log (they have no
     * transaction context). Set by the node at startup.
     */
    private static volatile PeerClient recoveryClient;

    /** Only the peer's address is written to Narayana's log with the branch. */
    private final URI peer;
    private final transient TxContext ctx;
    private final transient PeerFanout fanout;
    private final transient java.util.function.BiConsumer<URI, String> onUnreachable;

    /**
     * Lets branches restored from Narayana's log reach their peer. Serializable on purpose: Narayana
     * then keeps the resource in its log and recovery commits it directly, even when the peer already
     * applied the commit and no longer lists the branch as prepared (it answers "unknown", which
     * recovery counts as done), instead of searching forever for a resource that lists it.
     */
    public static void useForRecovery(PeerClient client) {
        recoveryClient = client;
    }

    PeerBranchResource(URI peer, TxContext ctx, PeerFanout fanout, java.util.function.BiConsumer<URI, String> onUnreachable) {
        this.peer = peer;
        this.ctx = ctx;
        this.fanout = fanout;
        this.onUnreachable = onUnreachable;
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        // The peer learns about the branch at prepare: the work is buffered in the context until then.
        if (fanout == null) {
            throw new XAException(XAException.XAER_PROTO);
        }
        try {
            fanout.bind(peer, XidValue.branchOf(xid));
        } catch (RuntimeException e) {
            throw LocalBranchResource.xa(XAException.XAER_PROTO, e);
        }
    }

    @Override
    public void end(Xid xid, int flags) {
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        if (fanout == null) {
            throw new XAException(XAException.XAER_PROTO);
        }
        BranchId id = XidValue.branchOf(xid);
        try {
            return fanout.awaitPrepare(peer, ctx::freeze) == LocalNode.Vote.READ_ONLY ? XA_RDONLY : XA_OK;
        } catch (PeerUnavailableException e) {
            onUnreachable.accept(peer, e.getMessage());
            throw LocalBranchResource.votedNo(ctx, e, XAException.XAER_RMFAIL, null);
        } catch (RuntimeException e) {
            throw LocalBranchResource.votedNo(ctx, e, XAException.XAER_RMERR, "Prepare of " + id + " on peer " + peer + " failed");
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        if (fanout == null) {
            secondPhase(restoredClient(), peer, id, true, null);
            return;
        }
        if (onePhase) {
            try {
                fanout.commitOnePhase(peer, id, ctx.freeze());
            } catch (RuntimeException e) {
                // Other than a conflict, the outcome is unknown: the peer may or may not have applied it.
                throw LocalBranchResource.votedNo(ctx, e, XAException.XAER_RMFAIL, null);
            }
            return;
        }
        if (fanout.decisionRecorded()) {
            // The commit was sent when the local branch committed, and the coordinator node holds the
            // decision durably until this peer acknowledges it (resent by its resolver, or asked for by the
            // peer): nothing for Narayana to keep. Wait for it only when the caller wants to.
            if (!fanout.inBackground()) {
                try {
                    fanout.awaitCommit(peer);
                } catch (PeerClient.HeuristicOutcome e) {
                    throw heuristic(e, peer, id, true);
                } catch (RuntimeException e) {
                    // Logged by the fan-out; the node's resolver resends it.
                    if (e instanceof PeerUnavailableException) {
                        onUnreachable.accept(peer, e.getMessage());
                    }
                }
            }
            return;
        }
        complete(() -> fanout.awaitCommit(peer), peer, id, true, false, onUnreachable);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        if (fanout == null) {
            secondPhase(restoredClient(), peer, XidValue.branchOf(xid), false, null);
            return;
        }
        complete(() -> fanout.awaitRollback(peer), peer, XidValue.branchOf(xid), false, false, onUnreachable);
    }

    private static PeerClient restoredClient() throws XAException {
        PeerClient c = recoveryClient;
        if (c == null) {
            // The node has not started yet: recovery retries at its next pass.
            throw new XAException(XAException.XAER_RMFAIL);
        }
        return c;
    }

    /** A second-phase call to a peer for a branch restored by recovery (no transaction context). */
    static void secondPhase(PeerClient client, URI peer, BranchId id, boolean commit,
            java.util.function.BiConsumer<URI, String> onUnreachable) throws XAException {
        complete(() -> commit ? client.commit(peer, id) : client.rollback(peer, id), peer, id, commit, true, onUnreachable);
    }

    /**
     * Runs a second-phase call and maps it onto XA: a failure is {@code XAER_RMFAIL} (Narayana keeps its
     * log and recovery retries); an unknown branch is {@code XAER_NOTA} for a commit, and for a recovered
     * rollback (both count as done). A live rollback of a branch the peer never prepared is simply done.
     */
    private static void complete(java.util.function.Supplier<LocalNode.Completion> call, URI peer, BranchId id, boolean commit,
            boolean recovered, java.util.function.BiConsumer<URI, String> onUnreachable) throws XAException {
        LocalNode.Completion c;
        try {
            c = call.get();
        } catch (PeerClient.HeuristicOutcome e) {
            throw heuristic(e, peer, id, commit);
        } catch (RuntimeException e) {
            if (onUnreachable != null && e instanceof PeerUnavailableException) {
                onUnreachable.accept(peer, e.getMessage());
            }
            LOG.warnf("%s of %s on peer %s failed (%s); recovery will finish it", commit ? "Commit" : "Rollback", id, peer,
                    e.getMessage());
            throw LocalBranchResource.xa(XAException.XAER_RMFAIL, e);
        }
        if (c == LocalNode.Completion.UNKNOWN && (commit || recovered)) {
            throw new XAException(XAException.XAER_NOTA);
        }
    }

    /** The peer's branch was decided by an operator against {@code commit}: a heuristic outcome for Narayana. */
    private static XAException heuristic(PeerClient.HeuristicOutcome e, URI peer, BranchId id, boolean commit) {
        LOG.errorf("%s of %s on peer %s: %s", commit ? "Commit" : "Rollback", id, peer, e.getMessage());
        return new XAException(e.committed() ? XAException.XA_HEURCOM : XAException.XA_HEURRB);
    }

    @Override
    public void forget(Xid xid) {
    }

    @Override
    public Xid[] recover(int flag) {
        return new Xid[0];
    }

    @Override
    public String toString() {
        return "level-2pc branch on peer " + peer;
    }
}
