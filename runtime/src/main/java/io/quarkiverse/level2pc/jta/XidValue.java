package io.quarkiverse.level2pc.jta;

import javax.transaction.xa.Xid;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;

/** Our own {@link Xid}: the bytes of a {@link BranchId}, handed back to the transaction manager. */
public record XidValue(BranchId branch) implements Xid {

    /** Copies a transaction manager's Xid into our own value (never keep theirs). */
    public static BranchId branchOf(Xid xid) {
        if (xid == null) {
            throw new IllegalArgumentException("xid is null");
        }
        return new BranchId(xid.getFormatId(), Bytes.copyOf(xid.getGlobalTransactionId()), Bytes.copyOf(xid.getBranchQualifier()));
    }

    @Override
    public int getFormatId() {
        return branch.formatId();
    }

    @Override
    public byte[] getGlobalTransactionId() {
        return branch.gtrid().toArray();
    }

    @Override
    public byte[] getBranchQualifier() {
        return branch.bqual().toArray();
    }
}
