package io.quarkiverse.level2pc.jta;

import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;

import io.quarkiverse.level2pc.Level2pcException;

/**
 * Finds the {@link TxContext} of the current JTA transaction, creating it and enlisting the cluster's
 * {@link ClusterResource} with Narayana on first use. One context per transaction (kept as a
 * transaction-scoped resource of the {@link TransactionSynchronizationRegistry}), so every named database
 * and every call in the transaction shares one branch.
 */
public final class TxEnlistment {

    /** Key of the context among the transaction's resources; unique to this class. */
    private static final Object CONTEXT_KEY = new Object() {
        @Override
        public String toString() {
            return "level-2pc transaction context";
        }
    };

    private final TransactionManager tm;
    private final TransactionSynchronizationRegistry tsr;
    private final String nodeName;
    private final Cluster cluster;

    public TxEnlistment(TransactionManager tm, TransactionSynchronizationRegistry tsr, String nodeName, Cluster cluster) {
        this.tm = tm;
        this.tsr = tsr;
        this.nodeName = nodeName;
        this.cluster = cluster;
    }

    public TransactionManager transactionManager() {
        return tm;
    }

    /** Whether the calling thread runs inside a JTA transaction (of any status). */
    public boolean inTransaction() {
        try {
            return tm.getTransaction() != null;
        } catch (SystemException e) {
            throw new Level2pcException("cannot read the current JTA transaction: " + e.getMessage(), e);
        }
    }

    /**
     * The context of the current transaction, enlisting the local branch on first use.
     *
     * @throws Level2pcException if the current transaction cannot take more work (e.g. marked for
     *         rollback or timed out)
     */
    public TxContext current() {
        try {
            Transaction tx = tm.getTransaction();
            if (tx == null) {
                throw new IllegalStateException("no JTA transaction on this thread");
            }
            int status = tx.getStatus();
            if (status != Status.STATUS_ACTIVE) {
                throw new Level2pcException("The current transaction cannot take more work: it is " + statusName(status)
                        + " (timed out or marked for rollback by an earlier failure). Start a new transaction.");
            }
            TxContext ctx = (TxContext) tsr.getResource(CONTEXT_KEY);
            if (ctx == null) {
                ctx = new TxContext(nodeName);
                if (!tx.enlistResource(new ClusterResource(cluster, ctx))) {
                    throw new Level2pcException("Narayana refused to enlist the level-2pc branch in " + tx);
                }
                tsr.putResource(CONTEXT_KEY, ctx);
            }
            return ctx;
        } catch (SystemException | RollbackException e) {
            throw new Level2pcException("cannot join the current JTA transaction: " + e.getMessage(), e);
        }
    }

    /**
     * The context of the current transaction for a write: the first write waits until the node may write
     * (enough peers connected, bounded by the readiness bound) so that a write to a cluster that cannot take
     * it fails at once, not at commit. Transactions that only read never involve the peers: every committed
     * write holds locks on every node, so the local node alone validates a read-only transaction.
     */
    public TxContext currentForWrite() {
        TxContext ctx = current();
        if (!ctx.isWritable()) {
            cluster.awaitWritable();
            ctx.markWritable();
        }
        return ctx;
    }

    static String statusName(int status) {
        return switch (status) {
            case Status.STATUS_ACTIVE -> "active";
            case Status.STATUS_MARKED_ROLLBACK -> "marked for rollback";
            case Status.STATUS_PREPARED -> "prepared";
            case Status.STATUS_COMMITTED -> "committed";
            case Status.STATUS_ROLLEDBACK -> "rolled back";
            case Status.STATUS_NO_TRANSACTION -> "no transaction";
            case Status.STATUS_PREPARING -> "preparing";
            case Status.STATUS_COMMITTING -> "committing";
            case Status.STATUS_ROLLING_BACK -> "rolling back";
            default -> "in status " + status;
        };
    }
}
