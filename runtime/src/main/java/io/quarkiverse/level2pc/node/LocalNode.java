package io.quarkiverse.level2pc.node;

import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Conflict;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.HybridClock;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Participant;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.QuorumLease;
import io.quarkiverse.level2pc.core.Step;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.VersionLookup;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.storage.StoreFailedException;

/**
 * One node's participant: the pure {@link Participant} state machine driven over the node's
 * {@link NodeStore}. It carries out the steps the core returns, in the order their contracts state: a
 * prepare record is durable before {@link #prepare} votes YES; a commit is one synced batch and the
 * branch's locks are released only after it.
 *
 * <p>
 * Asynchronous and thread-safe: every operation returns a future and never blocks a thread (the
 * blocking {@link #read} aside); waits (a read of a key held by a prepared branch, an older prepare
 * behind a younger lock holder) are bounded by {@code lock-wait-timeout}. Safe to call from an event loop.
 *
 * <p>
 * Fail-stop for writes: once a store write failed (a full disk, an I/O error, a failed sync) the node
 * takes no new work that writes ({@link #storeFailure()}) until it is restarted; committed data can
 * still be read.
 */
public final class LocalNode implements Closeable {

    private static final Logger LOG = Logger.getLogger(LocalNode.class);

    private final NodeStore store;
    private final String nodeName;
    private final Duration lockWaitTimeout;
    private final Scheduler scheduler;
    final Branches branches;
    /** Commit stamps (quorum mode); moved past every stamp this node prepares or catches up with. */
    final HybridClock clock;
    /** Versions as the participant validates them: a deleted key's stamp counts (quorum mode tombstones). */
    final VersionLookup versions;
    /** Checks a quorum-mode prepare must pass before it is validated (read-lease promises, catch-up); null: pass. */
    private volatile Function<TxWork, QuorumLease.Refusal> prepareGuard = w -> null;
    private volatile String storeFailure;

    private LocalNode(NodeStore store, String nodeName, Duration lockWaitTimeout, Scheduler scheduler) {
        this.store = store;
        this.nodeName = nodeName;
        this.lockWaitTimeout = lockWaitTimeout;
        this.scheduler = scheduler;
        this.branches = new Branches(scheduler, nodeName);
        this.clock = new HybridClock(scheduler::currentTimeMillis);
        this.versions = new VersionLookup() {
            @Override
            public Bytes versionOf(Bytes key) {
                return store.versionOf(key);
            }

            @Override
            public long stampOf(Bytes key) {
                return store.stampOf(key);
            }
        };
    }

    /**
     * Runs the node over an opened store (closed again if restoring fails): claims the store for this node
     * name and restores every prepared branch with its locks, before anything is served.
     */
    public static LocalNode open(NodeStore store, String nodeName, Duration lockWaitTimeout, Scheduler scheduler) {
        try {
            String owner = store.claimNodeName(nodeName);
            if (owner != null) {
                throw new Level2pcException("The data directory " + store.location() + " belongs to node '" + owner
                        + "' but quarkus.level-2pc.node-name is '" + nodeName
                        + "'. A node's name must stay stable: set quarkus.level-2pc.node-name=" + owner
                        + " or point quarkus.level-2pc.path at another directory.");
            }
            LocalNode node = new LocalNode(store, nodeName, lockWaitTimeout, scheduler);
            List<PrepareRecord> records = store.loadPrepared();
            long now = scheduler.currentTimeMillis();
            for (PrepareRecord r : records) {
                node.branches.participant.restore(r.branch(), r.work());
                node.branches.preparedSince.put(r.branch(), now);
            }
            if (!records.isEmpty()) {
                LOG.warnf("Node '%s' restored %d prepared transaction branch(es) with their locks; they stay in doubt until "
                        + "their coordinator's decision is known", nodeName, records.size());
            }
            return node;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public String nodeName() {
        return nodeName;
    }

    public NodeStore store() {
        return store;
    }

    public boolean isOpen() {
        return store.isOpen();
    }

    Duration lockWaitTimeout() {
        return lockWaitTimeout;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    long deadline() {
        return scheduler.nanoTime() + lockWaitTimeout.toNanos();
    }

    // ---- phase one --------------------------------------------------------------------------

    /**
     * Phase one of a peer's (or an external transaction manager's) branch: completes with YES only after the
     * prepare record is durable, or READ_ONLY with nothing persisted; a NO vote completes exceptionally with a
     * {@link ConflictException} (nothing locked, nothing written). Unless {@code mayWait}, a key locked by a younger
     * branch fails it with a {@link WaitAloneException} instead of a wait (a prepare batched with other messages).
     */
    public CompletableFuture<Vote> prepare(BranchId id, TxWork work) {
        return prepare(id, work, true);
    }

    public CompletableFuture<Vote> prepare(BranchId id, TxWork work, boolean mayWait) {
        CompletableFuture<Vote> result = new CompletableFuture<>();
        Bytes notData = KeySpace.firstNotData(work);
        if (notData != null) {
            // A well-formed peer never sends one: refused as malformed (400), nothing locked or written.
            result.completeExceptionally(new IllegalArgumentException("the prepare of " + id + " touches the internal key "
                    + notData + ", which is not a data key: a transaction may only read and write data keys"));
            return result;
        }
        if (!refuseIfFailed(result)) {
            if (work.isQuorum()) {
                clock.observe(work.stamp());
            }
            attemptPrepare(id, work, mayWait, deadline(), result);
        }
        return result;
    }

    private void attemptPrepare(BranchId id, TxWork work, boolean mayWait, long deadline, CompletableFuture<Vote> result) {
        Step step = guardedStep(id, work, mayWait, () -> branches.participant.prepare(id, work, versions), deadline,
                () -> attemptPrepare(id, work, mayWait, deadline, result), result);
        if (step instanceof Step.PersistThenVoteYes p) {
            if (p.alreadyDurable()) {
                result.complete(Vote.YES);
                return;
            }
            store.persistPrepare(id, work).whenComplete((v, failure) -> {
                if (failure != null) {
                    storeFailed(failure);
                    branches.locked(() -> branches.participant.abandon(id));
                    branches.released();
                    result.completeExceptionally(Futures.unwrap(failure));
                } else {
                    branches.locked(() -> {
                        branches.participant.persisted(id);
                        branches.preparedSince.put(id, scheduler.currentTimeMillis());
                    });
                    branches.released(); // a second-phase call waiting for the record to be durable
                    result.complete(Vote.YES);
                }
            });
        } else if (step instanceof Step.VoteReadOnly) {
            result.complete(Vote.READ_ONLY);
        } else if (step != null) {
            result.completeExceptionally(failure(step));
        }
    }

    /**
     * The coordinator's own branch: validated and locked without a prepare record (see
     * {@link Participant#prepareLocally}); completes when locked, exceptionally with a
     * {@link ConflictException} when it cannot be. With {@code waitForAnyone} (no other participant) it
     * waits for any lock, else only for younger holders (wait-die).
     */
    public CompletableFuture<Void> lockLocally(BranchId id, TxWork work, boolean waitForAnyone) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        if (!refuseIfFailed(result)) {
            attemptLock(id, work, waitForAnyone, deadline(), result);
        }
        return result;
    }

    private void attemptLock(BranchId id, TxWork work, boolean waitForAnyone, long deadline, CompletableFuture<Void> result) {
        Step step = guardedStep(id, work, true, () -> branches.participant.prepareLocally(id, work, versions, waitForAnyone), deadline,
                () -> attemptLock(id, work, waitForAnyone, deadline, result), result);
        if (step instanceof Step.Locked) {
            result.complete(null);
        } else if (step != null) {
            result.completeExceptionally(failure(step));
        }
    }

    /**
     * Under the node lock: the quorum-mode guard, then {@code decide}. A step that must wait (a lock held by a
     * younger branch, a record still being synced) registers {@code retry} until {@code deadline}; a refusal by
     * the guard fails {@code result}. Returns the step to carry out, or {@code null} when there is none.
     */
    private Step guardedStep(BranchId id, TxWork work, boolean mayWait, Supplier<Step> decide, long deadline, Runnable retry,
            CompletableFuture<?> result) {
        Step step;
        RuntimeException refused;
        branches.lock();
        try {
            // The guard runs under the node lock, with the locking: a promise given between the check and the
            // locking would otherwise let a node turn current without seeing this branch.
            refused = guard(work);
            Step decided = refused != null ? null : decide.get();
            step = decided instanceof Step.Wait && !mayWait ? null : decided;
            if (decided instanceof Step.Wait w && !mayWait) {
                refused = StepFailures.waitAlone(id, w);
            } else if (decided instanceof Step.Wait || decided instanceof Step.InProgress) {
                branches.waitForRelease(deadline, retry,
                        () -> result.completeExceptionally(StepFailures.waitedTooLong(id, decided, lockWaitTimeout)));
                return null;
            }
        } finally {
            branches.unlock();
        }
        if (refused != null) {
            result.completeExceptionally(refused);
        }
        return step;
    }

    /** The quorum-mode guard's refusal as an exception, or {@code null}. Called holding the node lock. */
    private RuntimeException guard(TxWork work) {
        if (!work.isQuorum()) {
            return null;
        }
        QuorumLease.Refusal r = prepareGuard.apply(work);
        if (r == null) {
            return null;
        }
        return r.kind() == QuorumLease.Refusal.Kind.PROMISED ? new PromiseRefusalException("Transaction refused: " + r.reason(),
                r.retryAfterMillis()) : new NotReadyException(r.reason());
    }


    /**
     * A check every quorum-mode prepare must pass before it is validated; its refusal refuses the prepare
     * (nothing is locked or persisted then).
     */
    public void prepareGuard(Function<TxWork, QuorumLease.Refusal> guard) {
        this.prepareGuard = guard;
    }

    // ---- phase two --------------------------------------------------------------------------

    /** Phase two: commits a prepared branch (one synced batch). */
    public CompletableFuture<Completion> commit(BranchId id) {
        return secondPhase(id, true, null);
    }

    /**
     * Phase two on the coordinator: commits its own branch and, in the same synced batch, records the commit
     * {@code decision} for the peers that still have to commit.
     */
    public CompletableFuture<Completion> commitLocally(BranchId id, Decision decision) {
        return secondPhase(id, true, decision);
    }

    /** Phase two: rolls a branch back (the coordinator's own branch is released at once). Unknown: UNKNOWN. */
    public CompletableFuture<Completion> rollback(BranchId id) {
        return secondPhase(id, false, null);
    }

    private CompletableFuture<Completion> secondPhase(BranchId id, boolean commit, Decision decision) {
        CompletableFuture<Completion> result = new CompletableFuture<>();
        attemptSecondPhase(id, commit, decision, deadline(), result);
        return result;
    }

    private void attemptSecondPhase(BranchId id, boolean commit, Decision decision, long deadline,
            CompletableFuture<Completion> result) {
        Step step;
        branches.lock();
        try {
            TxWork w = branches.participant.work(id);
            if (commit && w != null && w.isQuorum() && w.writes().keySet().stream().anyMatch(branches.catchUpKeys::contains)) {
                // A catch-up writing one of these keys decides first; this commit then skips what is older.
                branches.waitForRelease(deadline, () -> attemptSecondPhase(id, commit, decision, deadline, result),
                        () -> result.completeExceptionally(new Level2pcException("the commit of " + id + " waited longer than"
                                + " quarkus.level-2pc.lock-wait-timeout for a catch-up writing its keys; retry")));
                return;
            }
            step = commit ? branches.participant.commit(id) : branches.participant.rollback(id);
            if (step instanceof Step.InProgress) {
                // The coordinator's commit racing the resolver's, or a record still being synced: wait for it.
                branches.waitForRelease(deadline, () -> attemptSecondPhase(id, commit, decision, deadline, result),
                        () -> result.completeExceptionally(StepFailures.waitedTooLong(id, step, lockWaitTimeout)));
                return;
            }
        } finally {
            branches.unlock();
        }
        if (step instanceof Step.Apply a) {
            store.commit(a.branch(), a.work(), a.hadPrepareRecord(), decision)
                    .whenComplete((v, failure) -> finishWrite(a.branch(), Outcome.COMMITTED, failure, result));
        } else if (step instanceof Step.Discard d) {
            if (!d.hadPrepareRecord()) {
                finishWrite(d.branch(), Outcome.ROLLED_BACK, null, result);
            } else {
                store.deletePrepare(d.branch()).whenComplete((v, failure) -> finishWrite(d.branch(), Outcome.ROLLED_BACK, failure,
                        result));
            }
        } else if (step instanceof Step.AlreadyDone) {
            result.complete(Completion.DONE);
        } else if (step instanceof Step.Unknown) {
            result.complete(Completion.UNKNOWN);
        } else {
            result.completeExceptionally(failure(step));
        }
    }

    private void finishWrite(BranchId id, Outcome outcome, Throwable failure, CompletableFuture<Completion> result) {
        if (failure != null) {
            storeFailed(failure);
            branches.locked(() -> branches.participant.retryLater(id));
            branches.released();
            result.completeExceptionally(Futures.unwrap(failure));
            return;
        }
        branches.locked(() -> {
            branches.participant.finished(id, outcome);
            branches.preparedSince.remove(id);
        });
        branches.released();
        result.complete(Completion.DONE);
    }

    // ---- store failures ---------------------------------------------------------------------

    /** Why the node takes no writes (a store write failed), or {@code null}. */
    public String storeFailure() {
        return storeFailure;
    }

    private void storeFailed(Throwable failure) {
        if (storeFailure == null && store.isOpen()) {
            Throwable f = Futures.unwrap(failure);
            String what = f instanceof StoreFailedException ? f.getMessage() : String.valueOf(f);
            storeFailure = what.contains(store.location()) ? what : "a write to the store in " + store.location() + " failed: " + what;
            LOG.errorf("level-2pc node '%s' stops taking writes (its readiness check is DOWN): %s. Committed data can still"
                    + " be read; restart the node once the store can be written again", nodeName, storeFailure);
        }
    }

    private <T> boolean refuseIfFailed(CompletableFuture<T> result) {
        String why = storeFailure;
        if (why != null) {
            result.completeExceptionally(new NotReadyException("node '" + nodeName + "' takes no writes: " + why));
            return true;
        }
        return false;
    }

    // ---- clock ------------------------------------------------------------------------------

    /** The clock's current reading, observed by peers through hello (keeps stamps close across nodes). */
    public long clockReading() {
        return clock.next();
    }

    /** Moves the clock past a peer's reading. */
    public boolean observeClock(long stamp) {
        if (HybridClock.millisOf(stamp) - scheduler.currentTimeMillis() > MAX_CLOCK_AHEAD_MILLIS) {
            return false; // a clock that far ahead (or a forged one: Long.MAX_VALUE) would drag every later stamp along
        }
        clock.observe(stamp);
        return true;
    }

    /** How far ahead of this node's wall clock a peer's hello clock may be and still be observed. */
    public static final long MAX_CLOCK_AHEAD_MILLIS = 60_000;

    /** A new commit stamp for a transaction this node coordinates (quorum mode). */
    public long nextStamp() {
        return clock.next();
    }

    // ---- branches in doubt, heuristic decisions ----------------------------------------------

    /** The coordinator named in a live branch's prepare record, or {@code null}. */
    public String coordinatorOf(BranchId id) {
        return branches.locked(() -> {
            TxWork w = branches.participant.work(id);
            return w == null ? null : w.coordinator();
        });
    }

    /** Branches prepared here (with a record) and not decided yet. */
    public List<BranchId> prepared() {
        return branches.locked(branches.participant::prepared);
    }

    /** Whether a branch of transaction {@code gtrid} is live here (prepared, or being completed). */
    public boolean isLive(Bytes gtrid) {
        return branches.locked(() -> branches.participant.live().keySet().stream().anyMatch(id -> id.gtrid().equals(gtrid)));
    }

    /**
     * A prepared branch waiting for its coordinator's decision, as operators see it. {@code adoptedFrom}
     * lists the participants of a branch this node adopted while catching up (quorum mode; they, not the
     * coordinator, tell its outcome), empty otherwise.
     */
    public record InDoubt(BranchId branch, String coordinator, long preparedAtMillis, int writes, List<String> adoptedFrom) {
        /** How long the branch has been prepared (since this node's restart for a restored one). */
        public long ageMillis(long nowMillis) {
            return Math.max(0, nowMillis - preparedAtMillis);
        }
    }

    /** Every prepared, undecided branch, oldest first. */
    public List<InDoubt> inDoubt() {
        List<InDoubt> result = branches.locked(() -> {
            List<InDoubt> list = new ArrayList<>();
            for (BranchId id : branches.participant.prepared()) {
                Long since = branches.preparedSince.get(id);
                if (since == null) {
                    continue; // its prepare record is being written: not voted yet, so not in doubt
                }
                TxWork w = branches.participant.work(id);
                list.add(new InDoubt(id, w.coordinator(), since, w.writes().size(),
                        CatchUps.isAdopted(w, nodeName) ? w.participants() : List.of()));
            }
            return list;
        });
        result.sort(Comparator.comparingLong(InDoubt::preparedAtMillis));
        return result;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private RuntimeException failure(Step step) {
        if (step instanceof Step.VoteNo no) {
            if (no.conflict().kind() == Conflict.Kind.STAMP_BEHIND) {
                clock.observe(store.stampOf(no.conflict().key())); // the retry takes a greater stamp
            }
            return new ConflictException("Transaction rolled back: "
                    + no.conflict().describe(KeySpace.describe(no.conflict().key())) + ". Retry it.");
        }
        if (step instanceof Step.InProgress p) {
            return new Level2pcException("Branch " + p.branch() + " is being completed by another call; retry");
        }
        if (step instanceof Step.Refused r) {
            LOG.errorf("Protocol violation on node '%s' for branch %s: %s", nodeName, r.branch(), r.reason());
            return new IllegalStateException("Branch " + r.branch() + ": " + r.reason());
        }
        return new IllegalStateException("unexpected step " + step);
    }

    /** Whether a prepared branch holds {@code key} exclusively (tests). */
    boolean isWriteLocked(Bytes key) {
        return branches.locked(() -> branches.participant.writeLockHolder(key) != null);
    }

    @Override
    public void close() {
        store.close();
    }
}
