package io.quarkiverse.level2pc.runtime;

import java.io.Closeable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Conflict;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Participant;
import io.quarkiverse.level2pc.core.Step;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.Versioned;

/**
 * One node's participant: the pure {@link Participant} state machine driven over the node's
 * {@link LevelStore}. It carries out the steps the core returns, in the order their contracts
 * state: a prepare record is synced before {@link #prepare} returns YES; a commit is one synced batch
 * and the branch's locks are released only after it.
 *
 * <p>
 * Thread-safe. The core is guarded by one lock that is never held across a disk sync, so
 * transactions on disjoint keys prepare and commit concurrently. Readers of a key held exclusively by
 * a prepared branch wait on {@link #released} until the branch finishes (bounded by
 * {@code lockWaitTimeout}).
 */
public final class LocalNode implements Closeable {

    private static final Logger LOG = Logger.getLogger(LocalNode.class);

    /** What a prepare voted. A NO vote is a {@link ConflictException} instead. */
    public enum Vote {
        YES,
        READ_ONLY
    }

    /** What a second-phase call found. */
    public enum Completion {
        DONE,
        UNKNOWN
    }

    private final LevelStore store;
    private final String nodeName;
    private final Duration lockWaitTimeout;
    private volatile Duration prepareLockWait = Duration.ZERO;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Participant participant = new Participant(10_000);
    /** When each prepared branch became durable here (wall clock, for ages shown to operators). */
    private final java.util.Map<BranchId, Long> preparedSince = new java.util.HashMap<>();
    /** Branches an operator decided by hand (heuristic outcomes), kept in the store. */
    private final java.util.Map<BranchId, Outcome> heuristics = new java.util.HashMap<>();
    /** Commit decisions of transactions coordinated here whose peers have not all committed yet. */
    private final java.util.Map<Bytes, Codec.Decision> decisions = new java.util.HashMap<>();
    /** When each decision was recorded (wall clock; the open time for decisions found at startup). */
    private final java.util.Map<Bytes, Long> decidedAt = new java.util.HashMap<>();
    /** Orders the store updates of decisions as peers acknowledge. */
    private final Object decisionUpdates = new Object();
    /** Commit stamps (quorum mode); moved past every stamp this node prepares or catches up with. */
    private final io.quarkiverse.level2pc.core.HybridClock clock = new io.quarkiverse.level2pc.core.HybridClock(System::currentTimeMillis);
    /** Versions as the participant validates them: a deleted key's stamp counts (quorum mode tombstones). */
    private final io.quarkiverse.level2pc.core.VersionLookup versions;
    /** Keys a catch-up is writing now (quorum mode): commits of them wait (see {@link #applyCatchUp}). */
    private final java.util.Set<Bytes> catchUpKeys = new java.util.HashSet<>();
    /** Checks a prepare must pass before it is validated (quorum mode: read-lease promises, catch-up). */
    private volatile java.util.function.Consumer<TxWork> prepareGuard = w -> {
    };

    private LocalNode(LevelStore store, String nodeName, Duration lockWaitTimeout) {
        this.store = store;
        this.nodeName = nodeName;
        this.lockWaitTimeout = lockWaitTimeout;
        this.versions = new io.quarkiverse.level2pc.core.VersionLookup() {
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
     * Opens the node's store and restores every prepared branch with its locks, before anything is
     * served.
     */
    public static LocalNode open(Path leveldbDir, String nodeName, boolean sync, int maxOpenFiles, Duration lockWaitTimeout) {
        return open(LevelStore.open(leveldbDir, sync, maxOpenFiles), nodeName, lockWaitTimeout);
    }

    /** Runs the node over an opened store (closed again if restoring fails). */
    public static LocalNode open(LevelStore store, String nodeName, Duration lockWaitTimeout) {
        Path leveldbDir = store.directory();
        try {
            String owner = store.claimNodeName(nodeName);
            if (owner != null) {
                throw new Level2pcException("The data directory " + leveldbDir.toAbsolutePath() + " belongs to node '" + owner
                        + "' but quarkus.level-2pc.node-name is '" + nodeName
                        + "'. A node's name must stay stable: set quarkus.level-2pc.node-name=" + owner
                        + " or point quarkus.level-2pc.path at another directory.");
            }
            LocalNode node = new LocalNode(store, nodeName, lockWaitTimeout);
            List<Codec.PrepareRecord> records = store.loadPrepared();
            long now = System.currentTimeMillis();
            for (Codec.PrepareRecord r : records) {
                node.participant.restore(r.branch(), r.work());
                node.preparedSince.put(r.branch(), now);
            }
            node.heuristics.putAll(store.loadHeuristics());
            for (Codec.Decision d : store.loadDecisions()) {
                node.decisions.put(d.gtrid(), d);
                node.decidedAt.put(d.gtrid(), now);
            }
            if (!records.isEmpty()) {
                LOG.warnf("Node '%s' restored %d prepared transaction branch(es) with their locks; they stay in doubt until "
                        + "Narayana's recovery completes them", nodeName, records.size());
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

    public LevelStore store() {
        return store;
    }

    public boolean isOpen() {
        return store.isOpen();
    }

    /**
     * The committed value of {@code key}, or {@code null}. Waits while a prepared branch holds the key
     * exclusively, so no reader sees the old value once the new one may have been acknowledged.
     */
    public Versioned read(Bytes key) {
        awaitUnlocked(key);
        return store.get(key);
    }

    /**
     * Waits until no prepared branch holds {@code key} exclusively (what a reader needs).
     *
     * @throws LockWaitTimeoutException after {@code lockWaitTimeout}
     */
    public void awaitUnlocked(Bytes key) {
        awaitLock(key, false);
    }

    /**
     * Waits until no branch holds {@code key} at all, shared or exclusive (what a writer needs).
     *
     * @throws LockWaitTimeoutException after {@code lockWaitTimeout}
     */
    public void awaitFree(Bytes key) {
        awaitLock(key, true);
    }

    private void awaitLock(Bytes key, boolean shared) {
        boolean held = waitWhile(() -> shared ? participant.locks().isLocked(key) : participant.writeLockHolder(key) != null,
                h -> h, lockWaitTimeout, () -> "the " + KeySpace.describe(key) + " to be released");
        if (held) {
            BranchId holder = inLock(() -> participant.writeLockHolder(key));
            throw new LockWaitTimeoutException("The " + KeySpace.describe(key) + " is held by "
                    + (holder != null ? "prepared transaction " + holder : "a prepared transaction that read it")
                    + " for longer than quarkus.level-2pc.lock-wait-timeout (" + lockWaitTimeout
                    + "); it is probably in doubt, see the level-2pc health check");
        }
    }

    /**
     * The node's one way of waiting: under the node lock, evaluates {@code attempt} until
     * {@code waitMore} rejects its result or {@code bound} has passed, waking up whenever a branch
     * releases its locks or finishes. Returns the last result: the caller tells a timeout by
     * {@code waitMore} still holding for it.
     */
    private <T> T waitWhile(java.util.function.Supplier<T> attempt, java.util.function.Predicate<T> waitMore, Duration bound,
            java.util.function.Supplier<String> waitingFor) {
        lock.lock();
        try {
            long remaining = bound.toNanos();
            while (true) {
                T result = attempt.get();
                if (!waitMore.test(result) || remaining <= 0) {
                    return result;
                }
                remaining = released.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Level2pcException("interrupted while waiting for " + waitingFor.get(), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every branch that holds a key of {@code [from, to)} exclusively <em>now</em> has
     * finished (what a scan needs: any write acknowledged before the scan started is then visible in
     * its snapshot). Branches that prepare later are concurrent with the scan and not waited for.
     *
     * @throws LockWaitTimeoutException after {@code lockWaitTimeout}
     */
    public void awaitRangeUnlocked(Bytes from, Bytes to) {
        java.util.Set<BranchId> holders = inLock(() -> participant.locks().writeLockHoldersIn(from, to));
        if (holders.isEmpty()) {
            return;
        }
        java.util.Set<BranchId> left = waitWhile(() -> {
            holders.removeIf(h -> !participant.locks().holdsLocks(h));
            return holders;
        }, h -> !h.isEmpty(), lockWaitTimeout, () -> "prepared transactions in a scanned range");
        if (!left.isEmpty()) {
            throw new LockWaitTimeoutException("A scan waited longer than quarkus.level-2pc.lock-wait-timeout ("
                    + lockWaitTimeout + ") for prepared transaction(s) " + left + " holding keys in its range"
                    + "; they are probably in doubt, see the level-2pc health check");
        }
    }

    /**
     * Phase one. Returns only after the prepare record is synced (YES), or with nothing persisted
     * (READ_ONLY).
     *
     * @throws ConflictException when the vote is NO
     */
    public Vote prepare(BranchId id, TxWork work) {
        java.util.function.Supplier<Step> attempt;
        if (work.isQuorum()) {
            clock.observe(work.stamp());
            // Checked under the node lock, on every attempt, together with the locking: a promise given between
            // the check and the locking would otherwise let a node turn current without seeing this branch.
            attempt = () -> {
                prepareGuard.accept(work);
                return participant.prepare(id, work, versions);
            };
        } else {
            attempt = () -> participant.prepare(id, work, versions);
        }
        Step step = prepareLockWait.isZero() ? inLock(attempt) : awaitLocksThen(id, attempt, prepareLockWait, false);
        if (step instanceof Step.PersistThenVoteYes p) {
            if (!p.alreadyDurable()) {
                try {
                    store.persistPrepare(id, work);
                    inLock(() -> {
                        participant.persisted(id);
                        preparedSince.put(id, System.currentTimeMillis());
                        released.signalAll(); // a second-phase call waiting for the record to be durable
                        return null;
                    });
                } catch (RuntimeException e) {
                    inLock(() -> {
                        participant.abandon(id);
                        released.signalAll();
                        return null;
                    });
                    throw e;
                }
            }
            return Vote.YES;
        }
        if (step instanceof Step.VoteReadOnly) {
            return Vote.READ_ONLY;
        }
        if (step instanceof Step.VoteNo no && no.conflict().kind() == Conflict.Kind.STAMP_BEHIND) {
            clock.observe(store.stampOf(no.conflict().key())); // the retry takes a greater stamp
        }
        throw failure(step);
    }

    /** The clock's current reading, observed by peers through hello (keeps stamps close across nodes). */
    public long clockReading() {
        return clock.next();
    }

    /** Moves the clock past a peer's reading. */
    public void observeClock(long stamp) {
        clock.observe(stamp);
    }

    /**
     * One-phase commit: validates and applies in one synced batch.
     *
     * @throws ConflictException if validation fails (nothing applied)
     */
    public void commitOnePhase(BranchId id, TxWork work) {
        complete(awaitLocksThen(id, () -> participant.commitOnePhase(id, work, versions), lockWaitTimeout, true), null);
    }

    /** A new commit stamp for a transaction this node coordinates (quorum mode). */
    public long nextStamp() {
        return clock.next();
    }

    /**
     * A check every quorum-mode prepare must pass before it is validated; it throws to refuse the prepare
     * (nothing is locked or persisted then).
     */
    public void prepareGuard(java.util.function.Consumer<TxWork> guard) {
        this.prepareGuard = guard;
    }

    /**
     * What node {@code name} needs to catch up from this node (quorum mode): the current state of every key
     * of the commits it missed, and this node's branches that are prepared (or committing) without it, which
     * it adopts. Branches are collected before the hints are read, so a branch completing in between is in
     * one list or in both, never in neither.
     */
    public Codec.CatchUp catchUpFor(String name) {
        List<Codec.PrepareRecord> inFlight = inLock(() -> {
            List<Codec.PrepareRecord> list = new java.util.ArrayList<>();
            participant.live().forEach((id, w) -> {
                if (w.isQuorum() && !w.participants().contains(name) && !w.isReadOnly()) {
                    list.add(new Codec.PrepareRecord(id, w));
                }
            });
            return list;
        });
        java.util.Set<Bytes> keys = new java.util.TreeSet<>();
        List<Bytes> hints = new java.util.ArrayList<>();
        for (Codec.Hint h : store.hints()) {
            if (h.missedBy(name)) {
                hints.add(h.gtrid());
                keys.addAll(h.keys());
            }
        }
        List<Codec.KeyState> states = new java.util.ArrayList<>(keys.size());
        for (Bytes k : keys) {
            states.add(store.stateOf(k));
        }
        return new Codec.CatchUp(states, inFlight, hints);
    }

    /**
     * Whether {@code id} is a branch this node adopted from a catch-up source (quorum mode): prepared
     * without this node, which is not among its participants.
     */
    public boolean isAdopted(BranchId id) {
        return inLock(() -> {
            TxWork w = participant.work(id);
            return w != null && isAdopted(w);
        });
    }

    private boolean isAdopted(TxWork w) {
        return w.isQuorum() && !w.participants().contains(nodeName);
    }

    /**
     * What this node, a participant of transaction {@code gtrid}, knows of it (asked by a node that adopted
     * a branch of it): {@code IN_PROGRESS} while a branch of it is live here; {@code COMMITTED} while its
     * catch-up hint is on record (it committed without the asker, who has not caught up with it yet);
     * otherwise {@code NO_RECORD}: it rolled back, or its prepare has not arrived yet, or every node it
     * missed caught up with it already (the asker included, which then holds its writes).
     */
    public String branchState(Bytes gtrid) {
        boolean live = inLock(() -> participant.live().keySet().stream().anyMatch(id -> id.gtrid().equals(gtrid)));
        if (live) {
            return "IN_PROGRESS";
        }
        return store.hasHint(gtrid) ? "COMMITTED" : "NO_RECORD";
    }

    /** Node {@code name} applied the hints {@code gtrids} this node sent it. */
    public void caughtUp(String name, List<Bytes> gtrids) {
        store.caughtUp(name, gtrids);
    }

    /**
     * Applies what the catch-up sources sent (quorum mode): every key whose state at a source carries a
     * greater stamp than here takes that state, and the sources' branches prepared without this node are
     * adopted (persisted here with their locks; the in-doubt resolver asks their coordinators). Keys and
     * adopted branches are locked for the duration, so no commit of them runs concurrently.
     *
     * @return {@code null} when applied, else why not (a local branch holds one of the keys: try again later)
     */
    public String applyCatchUp(List<Codec.CatchUp> answers) {
        java.util.Map<Bytes, Codec.KeyState> newest = new java.util.TreeMap<>();
        java.util.Map<BranchId, Codec.PrepareRecord> adopt = new java.util.LinkedHashMap<>();
        for (Codec.CatchUp a : answers) {
            for (Codec.KeyState k : a.keys()) {
                long stamp = io.quarkiverse.level2pc.core.Stamps.stampOf(k.version());
                clock.observe(stamp);
                Codec.KeyState best = newest.get(k.key());
                if (best == null || stamp > io.quarkiverse.level2pc.core.Stamps.stampOf(best.version())) {
                    newest.put(k.key(), k);
                }
            }
            for (Codec.PrepareRecord r : a.inFlight()) {
                clock.observe(r.work().stamp());
                adopt.putIfAbsent(r.branch(), r);
            }
        }
        List<Codec.KeyState> apply = new java.util.ArrayList<>();
        List<Codec.PrepareRecord> adopted = new java.util.ArrayList<>();
        String busy = inLock(() -> {
            for (Codec.PrepareRecord r : adopt.values()) {
                if (participant.state(r.branch()) == null && participant.outcome(r.branch()) == null) {
                    adopted.add(r);
                }
            }
            java.util.Set<Bytes> frozen = new java.util.HashSet<>();
            for (Codec.KeyState k : newest.values()) {
                if (io.quarkiverse.level2pc.core.Stamps.stampOf(k.version()) > store.stampOf(k.key())) {
                    apply.add(k);
                    frozen.add(k.key());
                }
            }
            // A local branch committing one of these keys right now would decide "newer or not" against what
            // the store holds before this catch-up: wait for it. A local branch that is only prepared may keep
            // its locks (it was decided elsewhere already, or it would conflict with the newer state): its
            // commit waits for the frozen keys and then skips whatever is older than what is stored.
            for (java.util.Map.Entry<BranchId, TxWork> e : participant.live().entrySet()) {
                if (participant.state(e.getKey()) == Participant.State.COMMITTING
                        && e.getValue().writes().keySet().stream().anyMatch(frozen::contains)) {
                    return "local branch " + e.getKey() + " is committing one of the keys";
                }
            }
            // Adopted branches take their locks now (written and read keys, as on their source); a key held by a
            // local branch must be released first. A dry run with the branches' own ids, so that restoring them
            // below cannot fail half-way (two adopted branches may also conflict with each other).
            Conflict c = null;
            List<BranchId> tried = new java.util.ArrayList<>();
            for (Codec.PrepareRecord r : adopted) {
                c = participant.locks().tryLock(r.branch(), r.work().writes().keySet(), r.work().reads().keySet());
                if (c != null) {
                    break;
                }
                tried.add(r.branch());
            }
            tried.forEach(participant.locks()::release);
            if (c != null) {
                return "the " + KeySpace.describe(c.key()) + " of a branch prepared without this node is held by branch "
                        + c.holder();
            }
            for (Codec.PrepareRecord r : adopted) {
                participant.restore(r.branch(), r.work()); // its record is written below, before anyone is told
                preparedSince.put(r.branch(), System.currentTimeMillis());
            }
            catchUpKeys.addAll(frozen);
            return null;
        });
        if (busy != null) {
            return busy;
        }
        boolean applied = false;
        try {
            store.applyCatchUp(apply, adopted);
            applied = true;
        } finally {
            boolean ok = applied;
            inLock(() -> {
                apply.forEach(k -> catchUpKeys.remove(k.key()));
                if (!ok) {
                    for (Codec.PrepareRecord r : adopted) {
                        participant.abandonRestored(r.branch());
                        preparedSince.remove(r.branch());
                    }
                }
                released.signalAll();
                return null;
            });
        }
        if (!apply.isEmpty() || !adopted.isEmpty()) {
            LOG.infof("Node '%s' caught up: %d key(s) updated, %d branch(es) prepared without it adopted", nodeName, apply.size(),
                    adopted.size());
        }
        return null;
    }

    /**
     * How long a prepare waits for keys held by other prepared branches before voting NO (default:
     * not at all). Such a lock is usually a transaction whose commit is on its way; two transactions
     * that lock the same keys in opposite order on different nodes wait at most this long before one
     * of them votes NO.
     */
    public void prepareLockWait(Duration wait) {
        this.prepareLockWait = wait;
    }

    /**
     * Runs {@code attempt} under the node lock; while it answers NO only because another branch holds
     * a lock, waits for locks to be released and tries again, bounded by {@code bound} (then fails
     * with a {@link LockWaitTimeoutException}, or returns the NO vote). Deadlock-free here: a branch
     * that voted NO holds no locks while it waits. Used for one-phase commits, where this node is the
     * only participant, so a momentary lock (another transaction committing) does not roll back a
     * transaction whose reads are still valid, and for prepares (see {@link #prepareLockWait}).
     */
    private Step awaitLocksThen(BranchId id, java.util.function.Supplier<Step> attempt, Duration bound, boolean failOnTimeout) {
        Step step = waitWhile(attempt, LocalNode::isLockConflict, bound, () -> "locks of transaction " + id);
        if (failOnTimeout && step instanceof Step.VoteNo no && isLockConflict(step)) {
            throw new LockWaitTimeoutException("Transaction " + id + " waited longer than quarkus.level-2pc.lock-wait-timeout ("
                    + lockWaitTimeout + ") for the " + KeySpace.describe(no.conflict().key())
                    + ", held by another transaction; it is probably in doubt, see the level-2pc health check");
        }
        return step;
    }

    private static boolean isLockConflict(Step step) {
        return step instanceof Step.VoteNo no && no.conflict().kind() == Conflict.Kind.LOCKED;
    }

    /** Phase two: commit a prepared branch. */
    public Completion commit(BranchId id) {
        return commit(id, null);
    }

    /**
     * Runs a second-phase {@code attempt} under the node lock; while another call is completing the
     * branch (the coordinator's commit racing the resolver's, or a prepare record still being synced),
     * waits for it and tries again, bounded by {@code lockWaitTimeout}: the second call then finds the
     * outcome instead of failing.
     */
    private Step awaitNotInProgress(BranchId id, java.util.function.Supplier<Step> attempt) {
        return waitWhile(attempt, step -> step instanceof Step.InProgress, lockWaitTimeout,
                () -> "another call completing branch " + id);
    }

    /**
     * Phase two on the coordinator: commits the local branch and, in the same synced batch, records the
     * commit {@code decision} for the peers that still have to commit, so the decision outlives
     * Narayana's log (which Narayana deletes as soon as every resource returned).
     */
    public Completion commit(BranchId id, Codec.Decision decision) {
        return complete(awaitNotInProgress(id, () -> participant.commit(id)), decision);
    }

    /** Whether this node recorded a commit decision for the transaction, not yet acknowledged by every peer. */
    public boolean hasDecision(Bytes gtrid) {
        return inLock(() -> decisions.containsKey(gtrid));
    }

    /** The commit decisions recorded before {@code cutoffMillis} whose peers have not all acknowledged. */
    public List<Codec.Decision> decisionsBefore(long cutoffMillis) {
        return inLock(() -> decisions.values().stream().filter(d -> decidedAt.getOrDefault(d.gtrid(), 0L) <= cutoffMillis).toList());
    }

    /** {@code peer} committed its branch of {@code gtrid}: forget it from the decision. */
    public void acknowledged(Bytes gtrid, String peer) {
        synchronized (decisionUpdates) {
            Codec.Decision rest = inLock(() -> {
                Codec.Decision d = decisions.get(gtrid);
                if (d == null || !d.peers().containsKey(peer)) {
                    return null;
                }
                Codec.Decision r = d.without(peer);
                if (r.peers().isEmpty()) {
                    decisions.remove(gtrid);
                    decidedAt.remove(gtrid);
                } else {
                    decisions.put(gtrid, r);
                }
                return r;
            });
            if (rest != null && store.isOpen()) {
                store.updateDecision(rest);
            }
        }
    }

    /** Phase two: roll back a prepared branch. Rolling back an unknown branch reports UNKNOWN. */
    public Completion rollback(BranchId id) {
        return complete(awaitNotInProgress(id, () -> participant.rollback(id)), null);
    }

    /** The coordinator named in a live branch's prepare record, or {@code null}. */
    public String coordinatorOf(BranchId id) {
        return inLock(() -> {
            TxWork w = participant.work(id);
            return w == null ? null : w.coordinator();
        });
    }

    /** Branches prepared here and not decided yet. */
    public List<BranchId> prepared() {
        return inLock(participant::prepared);
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
        List<InDoubt> result = inLock(() -> {
            List<InDoubt> list = new java.util.ArrayList<>();
            for (BranchId id : participant.prepared()) {
                Long since = preparedSince.get(id);
                if (since == null) {
                    continue; // its prepare record is being written: not voted yet, so not in doubt
                }
                TxWork w = participant.work(id);
                list.add(new InDoubt(id, w.coordinator(), since, w.writes().size(), isAdopted(w) ? w.participants() : List.of()));
            }
            return list;
        });
        result.sort(java.util.Comparator.comparingLong(InDoubt::preparedAtMillis));
        return result;
    }

    /**
     * An operator's decision for a branch in doubt (a heuristic decision): recorded durably first,
     * logged as an error, then carried out. A coordinator that later sends the other decision is told
     * so (see {@link #heuristicOutcome}).
     *
     * @throws IllegalArgumentException if the branch is not prepared here
     */
    public Completion decideHeuristically(BranchId id, boolean commit) {
        if (!inLock(() -> participant.state(id) == Participant.State.PREPARED)) {
            throw new IllegalArgumentException("branch " + id + " is not in doubt on node '" + nodeName + "'");
        }
        Outcome outcome = commit ? Outcome.COMMITTED : Outcome.ROLLED_BACK;
        store.recordHeuristic(id, outcome == Outcome.COMMITTED, System.currentTimeMillis());
        inLock(() -> heuristics.put(id, outcome));
        LOG.errorf("HEURISTIC DECISION on node '%s': branch %s of coordinator '%s' %s by an operator, without its "
                + "coordinator's decision; if the coordinator decided otherwise the nodes now differ for its keys",
                nodeName, id, coordinatorOf(id), commit ? "COMMITTED" : "ROLLED BACK");
        return commit ? commit(id) : rollback(id);
    }

    /** The operator's decision for {@code id}, if one was taken by hand, else {@code null}. */
    public Outcome heuristicOutcome(BranchId id) {
        return inLock(() -> heuristics.get(id));
    }

    /** Every heuristic decision on record. */
    public java.util.Map<BranchId, Outcome> heuristics() {
        return inLock(() -> new java.util.HashMap<>(heuristics));
    }

    /** The coordinator forgot a heuristic outcome (XA {@code forget}): drop its record. */
    public void forgetHeuristic(BranchId id) {
        if (inLock(() -> heuristics.remove(id)) != null) {
            store.deleteHeuristic(id);
        }
    }

    private Completion complete(Step step, Codec.Decision decision) {
        if (step instanceof Step.Apply a) {
            try {
                if (a.work().isQuorum()) {
                    // A catch-up writing one of these keys decides first; this commit then skips what is older.
                    if (waitWhile(() -> a.work().writes().keySet().stream().anyMatch(catchUpKeys::contains), busy -> busy,
                            lockWaitTimeout, () -> "a catch-up writing keys of branch " + a.branch())) {
                        throw new Level2pcException("the commit of " + a.branch() + " waited longer than"
                                + " quarkus.level-2pc.lock-wait-timeout for a catch-up writing its keys; retry");
                    }
                }
                store.commit(a.branch(), a.work(), a.hadPrepareRecord(), decision);
                if (decision != null && !decision.peers().isEmpty()) {
                    inLock(() -> {
                        decidedAt.put(decision.gtrid(), System.currentTimeMillis());
                        return decisions.put(decision.gtrid(), decision);
                    });
                }
            } catch (RuntimeException e) {
                inLock(() -> {
                    participant.retryLater(a.branch());
                    released.signalAll();
                    return null;
                });
                throw e;
            }
            finish(a.branch(), Outcome.COMMITTED);
            return Completion.DONE;
        }
        if (step instanceof Step.Discard d) {
            try {
                store.deletePrepare(d.branch());
            } catch (RuntimeException e) {
                inLock(() -> {
                    participant.retryLater(d.branch());
                    released.signalAll();
                    return null;
                });
                throw e;
            }
            finish(d.branch(), Outcome.ROLLED_BACK);
            return Completion.DONE;
        }
        if (step instanceof Step.AlreadyDone) {
            return Completion.DONE;
        }
        if (step instanceof Step.Unknown) {
            return Completion.UNKNOWN;
        }
        throw failure(step);
    }

    private void finish(BranchId id, Outcome outcome) {
        inLock(() -> {
            participant.finished(id, outcome);
            preparedSince.remove(id);
            released.signalAll();
            return null;
        });
    }

    private RuntimeException failure(Step step) {
        if (step instanceof Step.VoteNo no) {
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

    private <T> T inLock(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a prepared branch holds {@code key} exclusively (tests). */
    boolean isWriteLocked(Bytes key) {
        return inLock(() -> participant.writeLockHolder(key) != null);
    }

    @Override
    public void close() {
        store.close();
    }
}
