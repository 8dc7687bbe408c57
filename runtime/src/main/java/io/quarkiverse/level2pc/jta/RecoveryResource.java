package io.quarkiverse.level2pc.jta;

import java.util.List;
import java.util.function.Supplier;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.LocalNode;

/**
 * The resource Narayana's recovery manager uses to find and complete branches prepared on the local
 * store (after a crash, or when a commit failed). {@code recover(TMSTARTRSCAN)} returns every
 * prepared branch; commit and rollback complete it; an unknown branch answers {@code XAER_NOTA},
 * which recovery counts as done. Resolves the node lazily: recovery may scan before the store opens.
 */
public final class RecoveryResource extends AbstractRecoveryResource {

    private final Supplier<LocalNode> node;

    public RecoveryResource(Supplier<LocalNode> node) {
        this.node = node;
    }

    static Xid[] recoverFrom(LocalNode node, int flag) {
        if ((flag & TMSTARTRSCAN) == 0 || node == null || !node.isOpen()) {
            return new Xid[0];
        }
        List<BranchId> prepared = node.prepared();
        return prepared.stream().filter(b -> !InFlight.isInFlight(b)).map(XidValue::new).toArray(Xid[]::new);
    }

    @Override
    public Xid[] recover(int flag) {
        return recoverFrom(node.get(), flag);
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        LocalBranchResource.completeSecondPhase(requireNode(), XidValue.branchOf(xid), true);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        LocalBranchResource.completeSecondPhase(requireNode(), XidValue.branchOf(xid), false);
    }

    private LocalNode requireNode() throws XAException {
        LocalNode n = node.get();
        if (n == null || !n.isOpen()) {
            throw new XAException(XAException.XAER_RMFAIL);
        }
        return n;
    }








    @Override
    public String toString() {
        return "level-2pc recovery resource";
    }
}
