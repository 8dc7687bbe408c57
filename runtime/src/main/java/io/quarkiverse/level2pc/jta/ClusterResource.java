package io.quarkiverse.level2pc.jta;

import java.io.Serializable;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import jakarta.enterprise.inject.spi.CDI;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.OutcomeUnknownException;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.TxCoordinator;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.node.WriteSet;

/**
 * The XA resource of one JTA transaction on the whole cluster: this node and every peer, as ONE resource
 * manager for Narayana.
 *
 * <ul>
 * <li>The usual case, the cluster is the transaction's only resource: Narayana commits it in one phase
 * (no transaction log of its own), and this node's {@link TxCoordinator} runs two-phase commit across the
 * nodes, its commit decision riding the local commit's synced batch.</li>
 * <li>With another resource, Narayana runs two-phase commit: {@link #prepare} prepares every node (the local
 * branch with a prepare record too), the decision is Narayana's, {@link #commit} and {@link #rollback}
 * carry it out. After a crash, Narayana's recovery commits or rolls the branch back through
 * {@link RecoveryResource}, or through this resource restored from its log (it is serializable: it then
 * finds the node through CDI).</li>
 * </ul>
 *
 * Failures map onto XA: a conflict is {@code XA_RBROLLBACK}, a lock wait timeout {@code XA_RBTIMEOUT}, a
 * node that cannot take part {@code XA_RBCOMMFAIL} (all: nothing applied, carrying the exception as their
 * cause and remembered in the context); a commit whose outcome is unknown is {@code XA_HEURHAZ}; a failed
 * second phase {@code XAER_RMFAIL} (recovery retries).
 */
public final class ClusterResource implements XAResource, Serializable {

    private static final long serialVersionUID = 1L;
    /** How this resource names itself in Narayana's log messages. */
    public static final String NAME = "level-2pc cluster resource";
    private static final Logger LOG = Logger.getLogger(ClusterResource.class);

    private final transient Cluster cluster;
    private final transient TxContext ctx;
    private transient volatile int timeoutSeconds;

    ClusterResource(Cluster cluster, TxContext ctx) {
        this.cluster = cluster;
        this.ctx = ctx;
    }

    /** The cluster; for a resource restored from Narayana's log, the application's (through CDI). */
    private Cluster cluster() {
        return cluster != null ? cluster : CDI.current().select(Cluster.class).get();
    }

    private Node node() throws XAException {
        try {
            return cluster().awaitOpen();
        } catch (RuntimeException e) {
            throw xa(XAException.XAER_RMFAIL, e);
        }
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        if (ctx == null) {
            throw new XAException(XAException.XAER_PROTO);
        }
        try {
            ctx.bind(XidValue.branchOf(xid));
        } catch (RuntimeException e) {
            throw xa(XAException.XAER_PROTO, e);
        }
    }

    @Override
    public void end(Xid xid, int flags) {
        // Nothing to do: the work is buffered in the context until commit.
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        if (ctx == null) {
            throw new XAException(XAException.XAER_PROTO);
        }
        BranchId id = XidValue.branchOf(xid);
        TxWork work = ctx.freeze();
        Node n = node();
        try {
            if (work.isReadOnly()) {
                // Read-only: validated on this node alone (every committed write holds its locks on every node).
                return Futures.join(n.local().prepare(id, work)) == Vote.READ_ONLY ? XA_RDONLY : XA_OK;
            }
            WriteSet ws = n.readiness().writeSet();
            TxWork w = ws.isQuorum() ? work.withStamp(n.local().nextStamp(), ws.participants(), ws.excluded()) : work;
            ctx.preparedExternally();
            Futures.join(n.coordinator().prepareExternal(id, w, ws.peers()));
            return XA_OK;
        } catch (RuntimeException e) {
            throw votedNo(e);
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        Node n = node();
        if (!onePhase || ctx == null) {
            try {
                Futures.join(n.coordinator().commitExternal(id, cluster().peers()));
            } catch (RuntimeException e) {
                LOG.errorf(e, "Commit of %s failed on node '%s'; recovery will retry", id, n.name());
                throw xa(XAException.XAER_RMFAIL, e);
            }
            return;
        }
        TxWork work = ctx.freeze();
        try {
            if (work.isReadOnly()) {
                Futures.join(n.local().prepare(id, work)); // validates the reads; nothing to write
                return;
            }
            Futures.join(n.coordinator().run(work, n.readiness()::writeSet, n.readiness().writeBound(), cluster().retryBound()));
        } catch (OutcomeUnknownException e) {
            // No XA code says "unknown, but all or nothing": Narayana records XA_HEURHAZ (and XAER_RMFAIL alike) as a
            // heuristic hazard, the only way it has to tell the application that a one-phase outcome is unknown.
            LOG.errorf("The outcome of JTA transaction %s is unknown: %s. Narayana is told XA_HEURHAZ: the application gets"
                    + " HeuristicMixedException, and Narayana keeps a heuristic-hazard record of the transaction that its"
                    + " recovery reports until it is removed. No node decided on its own: once node '%s' restarts, the"
                    + " transaction is committed on every node or on none (see the operations guide)", xid, e.getMessage(),
                    n.name());
            ctx.fail(e);
            throw xa(XAException.XA_HEURHAZ, e);
        } catch (RuntimeException e) {
            throw votedNo(e);
        }
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        if (ctx != null && !ctx.isPreparedExternally()) {
            return; // nothing was prepared anywhere: the buffered work is simply dropped
        }
        BranchId id = XidValue.branchOf(xid);
        Node n = node();
        try {
            Futures.join(n.coordinator().rollbackExternal(id, cluster().peers()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "Rollback of %s failed on node '%s'; recovery will retry", id, n.name());
            throw xa(XAException.XAER_RMFAIL, e);
        }
    }

    @Override
    public void forget(Xid xid) throws XAException {
        node().heuristics().forgetHeuristic(XidValue.branchOf(xid));
    }

    @Override
    public Xid[] recover(int flag) {
        return new Xid[0]; // the node's RecoveryResource lists the branches left prepared
    }

    @Override
    public boolean isSameRM(XAResource other) {
        return false;
    }

    @Override
    public int getTransactionTimeout() {
        return timeoutSeconds;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        timeoutSeconds = seconds;
        return true;
    }

    /**
     * Maps a failed prepare or one-phase commit onto XA and remembers it in the context (for the exception
     * the application sees): nothing was applied on any node.
     */
    private XAException votedNo(RuntimeException e) {
        if (ctx != null) {
            ctx.fail(e);
        }
        if (e instanceof ConflictException) {
            return xa(XAException.XA_RBROLLBACK, e);
        }
        if (e instanceof LockWaitTimeoutException) {
            return xa(XAException.XA_RBTIMEOUT, e);
        }
        if (e instanceof NotReadyException || e instanceof PeerUnavailableException) {
            return xa(XAException.XA_RBCOMMFAIL, e);
        }
        if (e instanceof PeerLink.HeuristicOutcome) {
            return xa(XAException.XA_HEURHAZ, e);
        }
        LOG.error("A level-2pc transaction failed", e);
        return xa(XAException.XAER_RMERR, e);
    }

    static XAException xa(int code, Throwable cause) {
        XAException e = new XAException(code);
        e.initCause(cause);
        return e;
    }

    @Override
    public String toString() {
        return NAME + (ctx == null ? " (recovered)" : " " + ctx.branch());
    }
}
