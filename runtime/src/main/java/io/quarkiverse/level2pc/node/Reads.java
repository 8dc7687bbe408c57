package io.quarkiverse.level2pc.node;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.KeySpace;

/**
 * Reads of committed data on one node, linearizable: a read of a key held exclusively by a prepared branch
 * (a commit on its way, perhaps already acknowledged elsewhere) waits for it, bounded by
 * {@code lock-wait-timeout}; a scan first waits for the branches holding keys of its range. Non-blocking but
 * for {@link #read}.
 */
public final class Reads {

    private final LocalNode node;
    private final Branches branches;

    public Reads(LocalNode node) {
        this.node = node;
        this.branches = node.branches;
    }

    /**
     * The committed value of {@code key}, or {@code null}, once the prepared branch that holds it exclusively
     * when the read starts (a commit on its way, perhaps already acknowledged elsewhere) has finished: no reader
     * sees the old value once the new one may have been acknowledged.
     *
     * <p>
     * Only that branch is waited for. A branch that prepares on the key later is concurrent with the read (it
     * had not prepared here, so it could not have been decided, let alone read elsewhere, when the read
     * started), so the read may return the value before it, as a scan does. Waiting for whoever holds the key
     * at each retry instead starved readers of a hot key for the whole {@code lock-wait-timeout}.
     */
    public CompletableFuture<Versioned> readAsync(Bytes key) {
        CompletableFuture<Versioned> result = new CompletableFuture<>();
        attemptRead(key, null, node.deadline(), result);
        return result;
    }

    /**
     * The last committed value of {@code key} now, without waiting for a branch that holds it: only for a read
     * whose version is validated before anything depends on it (a read inside a transaction, with
     * {@code transaction-reads=no-wait}): if a holder commits, the version read is no longer the current one and
     * the validation fails.
     */
    public Versioned readCommitted(Bytes key) {
        return node.store().get(key);
    }

    /** @param waitingFor the branch that held the key when the read started, or {@code null} on the first attempt */
    private void attemptRead(Bytes key, BranchId waitingFor, long deadline, CompletableFuture<Versioned> result) {
        boolean free;
        branches.lock();
        try {
            BranchId holder = branches.participant.writeLockHolder(key);
            free = holder == null || (waitingFor != null && !holder.equals(waitingFor));
            if (!free) {
                branches.waitForRelease(deadline, () -> attemptRead(key, holder, deadline, result),
                        () -> result.completeExceptionally(readTimeout(key)));
            }
        } finally {
            branches.unlock();
        }
        if (free) {
            try {
                result.complete(node.store().get(key));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }

    private LockWaitTimeoutException readTimeout(Bytes key) {
        BranchId holder = branches.locked(() -> branches.participant.writeLockHolder(key));
        return new LockWaitTimeoutException("The " + KeySpace.describe(key) + " is held by "
                + (holder != null ? "prepared transaction " + holder : "a prepared transaction")
                + " for longer than quarkus.level-2pc.lock-wait-timeout (" + node.lockWaitTimeout()
                + "); it is probably in doubt, see the level-2pc health check");
    }

    /** {@link #readAsync}, blocking the calling thread (never call it on an event loop). */
    public Versioned read(Bytes key) {
        return Futures.join(readAsync(key));
    }

    /**
     * Completes once every branch that holds a key of {@code [from, to)} exclusively <em>now</em> has
     * finished (what a scan needs: any write acknowledged before the scan started is then visible in its
     * snapshot). Branches that prepare later are concurrent with the scan and not waited for.
     */
    public CompletableFuture<Void> awaitRangeUnlocked(Bytes from, Bytes to) {
        Set<BranchId> holders = branches.locked(() -> branches.participant.locks().writeLockHoldersIn(from, to));
        CompletableFuture<Void> result = new CompletableFuture<>();
        attemptRange(holders, node.deadline(), result);
        return result;
    }

    private void attemptRange(Set<BranchId> holders, long deadline, CompletableFuture<Void> result) {
        boolean done;
        branches.lock();
        try {
            holders.removeIf(h -> !branches.participant.locks().holdsLocks(h));
            done = holders.isEmpty();
            if (!done) {
                branches.waitForRelease(deadline, () -> attemptRange(holders, deadline, result),
                        () -> result.completeExceptionally(new LockWaitTimeoutException("A scan waited longer than"
                                + " quarkus.level-2pc.lock-wait-timeout (" + node.lockWaitTimeout() + ") for prepared transaction(s) "
                                + holders + " holding keys in its range; they are probably in doubt, see the level-2pc health check")));
            }
        } finally {
            branches.unlock();
        }
        if (done) {
            result.complete(null);
        }
    }
}
