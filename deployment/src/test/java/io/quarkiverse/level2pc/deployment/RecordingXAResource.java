package io.quarkiverse.level2pc.deployment;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * A trivial in-memory XA resource for tests: records every call, votes as told, and runs an optional
 * hook inside {@code prepare} and {@code commit} (to look at the level-2pc node while the transaction
 * is between its phases). Deliberately not Serializable, and never "the same RM" as anything.
 */
public class RecordingXAResource implements XAResource {

    /** Calls received, e.g. {@code start}, {@code end}, {@code prepare}, {@code commit(onePhase=false)}. */
    public final List<String> calls = new CopyOnWriteArrayList<>();
    public volatile Xid xid;
    /** XA error code thrown from prepare, or 0 to vote {@link #prepareVote}. */
    public volatile int prepareError;
    /** The vote when prepare does not throw: XA_OK (default) or XA_RDONLY. */
    public volatile int prepareVote = XA_OK;
    public volatile Consumer<Xid> onPrepare = x -> {
    };
    public volatile Consumer<Xid> onCommit = x -> {
    };

    @Override
    public void start(Xid xid, int flags) {
        this.xid = xid;
        calls.add("start");
    }

    @Override
    public void end(Xid xid, int flags) {
        calls.add("end");
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        calls.add("prepare");
        onPrepare.accept(xid);
        if (prepareError != 0) {
            throw new XAException(prepareError);
        }
        return prepareVote;
    }

    @Override
    public void commit(Xid xid, boolean onePhase) {
        calls.add("commit(onePhase=" + onePhase + ")");
        onCommit.accept(xid);
    }

    @Override
    public void rollback(Xid xid) {
        calls.add("rollback");
    }

    @Override
    public void forget(Xid xid) {
        calls.add("forget");
    }

    @Override
    public Xid[] recover(int flag) {
        return new Xid[0];
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
        return "RecordingXAResource" + calls;
    }
}
