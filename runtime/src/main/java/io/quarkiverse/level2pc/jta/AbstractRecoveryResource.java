package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;

/**
 * A resource that only Narayana's recovery uses: it lists prepared branches and completes them, and
 * refuses to start or prepare new work.
 */
abstract class AbstractRecoveryResource extends AbstractNodeResource {

    @Override
    public final int prepare(Xid xid) throws XAException {
        throw new XAException(XAException.XAER_PROTO);
    }

    @Override
    public final void start(Xid xid, int flags) throws XAException {
        throw new XAException(XAException.XAER_PROTO);
    }

    @Override
    public final void end(Xid xid, int flags) {
    }

    @Override
    public final void forget(Xid xid) {
        // Recovery resources take no heuristic decisions: nothing to forget.
    }
}
