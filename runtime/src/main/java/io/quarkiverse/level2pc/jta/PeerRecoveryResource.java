package io.quarkiverse.level2pc.jta;

import java.net.URI;

import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.transport.PeerClient;

/**
 * Lets Narayana's recovery on this (coordinator) node find and finish branches it left prepared on a
 * peer: {@code recover(TMSTARTRSCAN)} lists the peer's prepared branches coordinated by this node;
 * commit and rollback are forwarded. An unreachable peer lists nothing this pass (recovery tries again
 * at its next pass).
 */
public final class PeerRecoveryResource extends AbstractRecoveryResource {

    private static final Logger LOG = Logger.getLogger(PeerRecoveryResource.class);

    private final PeerClient client;
    private final URI peer;
    private final java.util.function.Predicate<io.quarkiverse.level2pc.core.Bytes> decided;

    /**
     * @param decided whether this node holds its own commit decision for a global transaction id: such
     *        a branch is committed (Narayana deleted its log after this node recorded the decision), so
     *        recovery must never see it as an orphan to presume aborted; the node's resolver commits it
     */
    public PeerRecoveryResource(PeerClient client, URI peer, java.util.function.Predicate<io.quarkiverse.level2pc.core.Bytes> decided) {
        this.client = client;
        this.peer = peer;
        this.decided = decided;
    }

    @Override
    public Xid[] recover(int flag) {
        if ((flag & TMSTARTRSCAN) == 0) {
            return new Xid[0];
        }
        try {
            return client.recover(peer).stream().filter(b -> !InFlight.isInFlight(b) && !decided.test(b.gtrid()))
                    .map(XidValue::new).toArray(Xid[]::new);
        } catch (RuntimeException e) {
            LOG.debugf("Recovery cannot list the prepared branches of peer %s this pass: %s", peer, e.getMessage());
            return new Xid[0];
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        PeerBranchResource.secondPhase(client, peer, XidValue.branchOf(xid), true, null);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        io.quarkiverse.level2pc.core.BranchId id = XidValue.branchOf(xid);
        if (decided.test(id.gtrid())) {
            // Committed by this node's decision: never roll it back; the resolver sends the commit.
            LOG.warnf("Recovery asked to roll back %s on peer %s, whose commit this node decided; refused", id, peer);
            throw new XAException(XAException.XAER_RMFAIL);
        }
        PeerBranchResource.secondPhase(client, peer, id, false, null);
    }





    @Override
    public String toString() {
        return "level-2pc recovery resource for peer " + peer;
    }
}
