package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.XAResource;

/**
 * What the node's XA resources share: each is its own resource manager for Narayana
 * ({@code isSameRM} is always false, so no branch ever just "joins" another node's), and the
 * transaction timeout is only remembered (Narayana's reaper enforces it).
 */
abstract class AbstractNodeResource implements XAResource {

    private volatile int timeoutSeconds;

    @Override
    public final boolean isSameRM(XAResource other) {
        return false;
    }

    @Override
    public final int getTransactionTimeout() {
        return timeoutSeconds;
    }

    @Override
    public final boolean setTransactionTimeout(int seconds) {
        timeoutSeconds = seconds;
        return true;
    }
}
