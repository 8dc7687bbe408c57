package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;

/**
 * The resource Narayana's recovery manager uses to find and complete the branches it left prepared on this
 * node (two-phase commit with another resource, interrupted by a crash): {@code recover(TMSTARTRSCAN)}
 * returns every such branch prepared here; commit and rollback complete it on this node and every peer (a
 * peer that never prepared it answers "unknown", which counts as done). Transactions the node decides itself
 * never appear here: their decision is in the node's own store. Resolves the node lazily: recovery may scan
 * before the store opens.
 */
public final class RecoveryResource implements XAResource {

    private static final Logger LOG = Logger.getLogger(RecoveryResource.class);

    private final Cluster cluster;
    private final NarayanaLog log;

    public RecoveryResource(Cluster cluster, NarayanaLog log) {
        this.cluster = cluster;
        this.log = log;
    }

    @Override
    public Xid[] recover(int flag) {
        if ((flag & TMSTARTRSCAN) == 0) {
            return new Xid[0];
        }
        Node n;
        try {
            n = cluster.awaitOpen();
        } catch (RuntimeException e) {
            return new Xid[0];
        }
        return n.local().prepared().stream()
                .filter(b -> log.isOwn(b) && !NarayanaLog.isInFlight(b))
                .map(XidValue::new).toArray(Xid[]::new);
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        complete(xid, true);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        complete(xid, false);
    }

    private void complete(Xid xid, boolean commit) throws XAException {
        BranchId id = XidValue.branchOf(xid);
        try {
            Node n = cluster.awaitOpen();
            Futures.join(commit ? n.coordinator().commitExternal(id, cluster.peers()) : n.coordinator().rollbackExternal(id, cluster.peers()));
        } catch (RuntimeException e) {
            LOG.warnf("Recovery could not %s %s yet: %s", commit ? "commit" : "roll back", id, e.getMessage());
            throw ClusterResource.xa(XAException.XAER_RMFAIL, e);
        }
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        throw new XAException(XAException.XAER_PROTO);
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        throw new XAException(XAException.XAER_PROTO);
    }

    @Override
    public void end(Xid xid, int flags) {
    }

    @Override
    public void forget(Xid xid) {
        // Recovery takes no heuristic decisions: nothing to forget.
    }

    @Override
    public boolean isSameRM(XAResource other) {
        return false;
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false;
    }

    @Override
    public String toString() {
        return "level-2pc recovery resource";
    }
}
