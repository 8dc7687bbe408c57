package io.quarkiverse.level2pc.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The participant side of two-phase commit for one node, as a deterministic state machine:
 *
 * <pre>
 *   (none) --prepare, valid--> PREPARED --persisted, commit--> COMMITTING --finished--> COMMITTED
 *      |                          |  \--rollback--> ROLLING_BACK --finished--> ROLLED_BACK
 *      |                          \--abandon (persist failed)--> (none)
 *      \--prepareLocally, valid--> PREPARED (no record: the coordinator's own branch)
 * </pre>
 *
 * It validates read versions, holds the lock table and decides votes; it performs no I/O and starts
 * no threads. Every call returns a {@link Step} telling the caller what to persist and in which
 * order. Every message is idempotent: a duplicate commit of a committed branch is
 * {@link Step.AlreadyDone}, a commit of an unknown branch is {@link Step.Unknown}.
 *
 * <p>
 * Colliding transactions are ordered by wait-die on {@link TxWork#priority()}: a prepare that needs a lock
 * held by a younger branch waits for it ({@link Step.Wait}), one that needs a lock held by an older branch
 * votes NO at once, unless that branch is decided and so waits for nothing (see {@link #waitOrDie}). Waits
 * go from older to younger or to such a branch, so no cycle of waits (across nodes either) can form, and of
 * two colliding transactions the older one commits instead of both aborting.
 *
 * <p>
 * Not thread-safe: the caller serialises calls (one lock per node). Outcomes of finished branches
 * are remembered in a bounded window ({@code rememberedOutcomes}) so duplicates arriving late are
 * answered precisely; older ones fall back to {@link Step.Unknown}, which XA treats as "already
 * completed" for recovered branches. A rollback of a branch never prepared here is remembered too, so a
 * prepare delayed in the network that arrives after its rollback is refused instead of locking keys.
 */
public final class Participant {

    public enum State {
        PREPARED,
        COMMITTING,
        ROLLING_BACK
    }

    private static final class Branch {
        final TxWork work;
        State state;
        final boolean hasPrepareRecord;
        /** The caller confirmed the prepare record is synced ({@link #persisted}); only then may anyone vote YES. */
        boolean durable;

        Branch(TxWork work, State state, boolean hasPrepareRecord, boolean durable) {
            this.work = work;
            this.state = state;
            this.hasPrepareRecord = hasPrepareRecord;
            this.durable = durable;
        }
    }

    private final LockTable locks = new LockTable();
    private final Map<BranchId, Branch> live = new HashMap<>();
    private final LinkedHashMap<BranchId, Outcome> outcomes;
    /** This node's name as transaction ids of {@link TxIds} carry it, or {@code null} when unknown (tests). */
    private final String nodeName;

    public Participant(int rememberedOutcomes) {
        this(rememberedOutcomes, null);
    }

    /**
     * @param nodeName this node's name, as the ids of the transactions it coordinates carry it (see
     *        {@link TxIds#coordinatorIn}); {@code null}: unknown, and a peer's prepare never waits for an
     *        older branch of its own coordinator
     */
    public Participant(int rememberedOutcomes, String nodeName) {
        this.nodeName = nodeName;
        if (rememberedOutcomes < 0) {
            throw new IllegalArgumentException("rememberedOutcomes must be >= 0, got " + rememberedOutcomes);
        }
        this.outcomes = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BranchId, Outcome> eldest) {
                return size() > rememberedOutcomes;
            }
        };
    }

    /** Phase one: validate, lock, and ask the caller to persist the prepare record before voting YES. */
    public Step prepare(BranchId id, TxWork work, VersionLookup store) {
        Objects.requireNonNull(work, "work is null");
        Branch existing = live.get(id);
        if (existing != null) {
            if (existing.state != State.PREPARED) {
                return new Step.Refused(id, "prepare of a branch that is already " + existing.state);
            }
            // A duplicate racing the first prepare's sync must not vote YES before the record is on disk.
            return existing.durable ? new Step.PersistThenVoteYes(id, existing.work, true) : new Step.InProgress(id);
        }
        Outcome done = outcomes.get(id);
        if (done != null) {
            return new Step.Refused(id, "prepare of a branch that already " + done);
        }
        if (work.isReadOnly()) {
            Conflict c = validateReadOnly(id, work, store);
            return c == null ? new Step.VoteReadOnly(id) : waitOrDie(id, work, c, false, true);
        }
        Conflict c = lockAndValidate(id, work, store);
        if (c != null) {
            return waitOrDie(id, work, c, false, true);
        }
        live.put(id, new Branch(work, State.PREPARED, true, false));
        return new Step.PersistThenVoteYes(id, work, false);
    }

    /**
     * The coordinator's own branch: validated and locked like a prepare, but with no prepare record
     * ({@link Step.Locked}); it is committed by {@link #commit} (an {@link Step.Apply} without a record,
     * into which the caller writes its commit decision) or released by {@link #rollback}. With
     * {@code waitForAnyone} (a transaction with no other participant, which holds no lock anywhere while it
     * waits) it waits for any lock instead of only for younger holders.
     */
    public Step prepareLocally(BranchId id, TxWork work, VersionLookup store, boolean waitForAnyone) {
        Objects.requireNonNull(work, "work is null");
        if (live.containsKey(id) || outcomes.containsKey(id)) {
            return new Step.Refused(id, "the coordinator's branch " + id + " was started before");
        }
        Conflict c = work.isReadOnly() ? validateReadOnly(id, work, store) : lockAndValidate(id, work, store);
        if (c != null) {
            return waitOrDie(id, work, c, waitForAnyone, false);
        }
        if (!work.isReadOnly()) {
            live.put(id, new Branch(work, State.PREPARED, false, true));
        }
        return new Step.Locked(id);
    }

    /**
     * Wait-die: wait for a younger lock holder, vote NO against an older one (or any other conflict). Two
     * older holders are waited for too, as they wait for nothing that could close a cycle of waits:
     * <ul>
     * <li>a holder whose outcome is decided here ({@link State#COMMITTING}, {@link State#ROLLING_BACK}): it
     * only waits for its own write;</li>
     * <li>in a peer's prepare ({@code peerPrepare}) of a transaction that writes, a holder coordinated by the
     * same other node ({@link #sameCoordinatorElsewhere}). That coordinator locked the requester's keys on
     * itself before it sent this prepare, and the holder had locked the same keys there, in the same modes,
     * before it sent its own: so the holder has released them there, which its coordinator does only once
     * the holder's outcome is decided. Its commit or rollback is on its way here (typically behind this
     * prepare, in the same lane: a transaction that follows another of its coordinator on the same keys, or
     * a conflict's retry).</li>
     * </ul>
     */
    private Step waitOrDie(BranchId id, TxWork work, Conflict c, boolean waitForAnyone, boolean peerPrepare) {
        if (c.kind() == Conflict.Kind.LOCKED && c.holder() != null) {
            Branch holder = live.get(c.holder());
            if (waitForAnyone || (holder != null && (isOlder(id, work, c.holder(), holder.work) || holder.state != State.PREPARED
                    || (peerPrepare && !work.isReadOnly() && sameCoordinatorElsewhere(id, c.holder()))))) {
                return new Step.Wait(id, c.key(), c.holder());
            }
        }
        return new Step.VoteNo(id, c);
    }

    /**
     * Whether {@code a} and {@code b} are transactions of this project's own format coordinated by one node that
     * is not this one.
     */
    private boolean sameCoordinatorElsewhere(BranchId a, BranchId b) {
        if (nodeName == null || a.formatId() != TxIds.FORMAT_ID || b.formatId() != TxIds.FORMAT_ID) {
            return false;
        }
        String coordinator = TxIds.coordinatorIn(a.gtrid());
        return coordinator != null && !coordinator.equals(nodeName) && coordinator.equals(TxIds.coordinatorIn(b.gtrid()));
    }

    /** Whether transaction {@code a} is older than {@code b}: smaller priority, ties broken by the global id. */
    public static boolean isOlder(BranchId a, TxWork wa, BranchId b, TxWork wb) {
        int cmp = Long.compare(wa.priority(), wb.priority());
        return cmp != 0 ? cmp < 0 : a.gtrid().compareTo(b.gtrid()) < 0;
    }

    /**
     * The caller synced the prepare record asked for by {@link Step.PersistThenVoteYes}: from now on the
     * branch may be voted YES, committed or rolled back.
     */
    public void persisted(BranchId id) {
        Branch b = live.get(id);
        if (b == null || b.state != State.PREPARED || !b.hasPrepareRecord) {
            throw new IllegalStateException("persisted() for branch " + id + " that is not being prepared");
        }
        b.durable = true;
    }

    /**
     * The caller could not persist the prepare record of a branch this participant just accepted:
     * forget it and free its locks (the caller reports an error instead of a vote).
     */
    public void abandon(BranchId id) {
        Branch b = live.get(id);
        if (b != null && b.state == State.PREPARED && !b.durable) {
            live.remove(id);
            locks.release(id);
        }
    }

    /** Phase two, commit. */
    public Step commit(BranchId id) {
        Branch b = live.get(id);
        if (b == null) {
            Outcome done = outcomes.get(id);
            if (done == null) {
                return new Step.Unknown(id);
            }
            return done == Outcome.COMMITTED
                    ? new Step.AlreadyDone(id, done)
                    : new Step.Refused(id, "commit of a branch that was rolled back");
        }
        if (b.state == State.PREPARED && !b.durable) {
            return new Step.InProgress(id);
        }
        return switch (b.state) {
            case PREPARED -> {
                b.state = State.COMMITTING;
                yield new Step.Apply(id, b.work, b.hasPrepareRecord);
            }
            case COMMITTING -> new Step.InProgress(id);
            case ROLLING_BACK -> new Step.Refused(id, "commit of a branch that is being rolled back");
        };
    }

    /**
     * Phase two, rollback. A rollback of a branch never prepared here is remembered as rolled back (its
     * prepare may still be on its way: it will be refused).
     */
    public Step rollback(BranchId id) {
        Branch b = live.get(id);
        if (b == null) {
            Outcome done = outcomes.get(id);
            if (done == null) {
                outcomes.put(id, Outcome.ROLLED_BACK);
                return new Step.Unknown(id);
            }
            return done == Outcome.ROLLED_BACK
                    ? new Step.AlreadyDone(id, done)
                    : new Step.Refused(id, "rollback of a branch that was committed");
        }
        if (b.state == State.PREPARED && !b.durable) {
            // The record may still be being written: discarding it now could leave it behind.
            return new Step.InProgress(id);
        }
        return switch (b.state) {
            case PREPARED -> {
                b.state = State.ROLLING_BACK;
                yield new Step.Discard(id, b.hasPrepareRecord);
            }
            case ROLLING_BACK -> new Step.InProgress(id);
            case COMMITTING -> new Step.Refused(id, "rollback of a branch that is being committed");
        };
    }

    /**
     * The caller made the outcome of an {@link Step.Apply} or {@link Step.Discard} durable: release
     * the branch's locks and remember the outcome.
     */
    public void finished(BranchId id, Outcome outcome) {
        Branch b = live.get(id);
        if (b == null) {
            throw new IllegalStateException("finished(" + outcome + ") for branch " + id + " that is not in progress");
        }
        State expected = outcome == Outcome.COMMITTED ? State.COMMITTING : State.ROLLING_BACK;
        if (b.state != expected) {
            throw new IllegalStateException("finished(" + outcome + ") for branch " + id + " in state " + b.state);
        }
        live.remove(id);
        locks.release(id);
        outcomes.put(id, outcome);
    }

    /**
     * The caller failed to make an {@link Step.Apply} or {@link Step.Discard} durable: the branch goes
     * back to PREPARED (its record is still on disk, its locks still held) so the coordinator can retry.
     * The coordinator's own branch has no record: it stays locked until its outcome is known.
     */
    public void retryLater(BranchId id) {
        Branch b = live.get(id);
        if (b == null) {
            return;
        }
        b.state = State.PREPARED;
    }

    /**
     * Restores a branch read back from its prepare record after a restart, with its locks. Must be
     * called for every record before any read or prepare is served.
     */
    public void restore(BranchId id, TxWork work) {
        if (live.containsKey(id)) {
            throw new IllegalStateException("branch " + id + " restored twice");
        }
        Conflict c = locks.tryLock(id, work.writes().keySet(), work.reads().keySet());
        if (c != null) {
            // Two prepared branches can never hold conflicting locks; the records are inconsistent.
            throw new IllegalStateException("prepare record of " + id + " conflicts with another prepared branch: " + c.describe());
        }
        live.put(id, new Branch(work, State.PREPARED, true, true));
    }

    /**
     * Forgets a branch {@link #restore restored} from a record that could not be written after all (a
     * catch-up that failed to adopt it), releasing its locks.
     */
    public void abandonRestored(BranchId id) {
        Branch b = live.get(id);
        if (b != null && b.state == State.PREPARED) {
            live.remove(id);
            locks.release(id);
        }
    }

    /** Whether {@code id} is live here with a prepare record (a peer's branch, or a restored one). */
    public boolean hasPrepareRecord(BranchId id) {
        Branch b = live.get(id);
        return b != null && b.hasPrepareRecord;
    }

    /** The branch holding {@code key} exclusively, or {@code null}: a reader of that key must wait. */
    public BranchId writeLockHolder(Bytes key) {
        return locks.writeLockHolder(key);
    }

    /**
     * Branches prepared with a record and not yet decided (in doubt from this participant's point of view).
     * The coordinator's own branches are not among them: their coordinator is running them.
     */
    public List<BranchId> prepared() {
        List<BranchId> result = new ArrayList<>();
        live.forEach((id, b) -> {
            if (b.state == State.PREPARED && b.hasPrepareRecord) {
                result.add(id);
            }
        });
        return result;
    }

    /** Every live branch (prepared or completing) with its work. */
    public Map<BranchId, TxWork> live() {
        Map<BranchId, TxWork> result = new HashMap<>();
        live.forEach((id, b) -> result.put(id, b.work));
        return result;
    }

    /** The state of a live branch, or {@code null} if none is in progress. */
    public State state(BranchId id) {
        Branch b = live.get(id);
        return b == null ? null : b.state;
    }

    /** The remembered outcome of a finished branch, or {@code null}. */
    public Outcome outcome(BranchId id) {
        return outcomes.get(id);
    }

    /** The work of a live branch, or {@code null}. */
    public TxWork work(BranchId id) {
        Branch b = live.get(id);
        return b == null ? null : b.work;
    }

    public LockTable locks() {
        return locks;
    }

    private Conflict lockAndValidate(BranchId id, TxWork work, VersionLookup store) {
        Conflict c = locks.tryLock(id, work.writes().keySet(), work.reads().keySet());
        if (c != null) {
            return c;
        }
        // Validate under our own locks: no other branch can commit these keys until we finish.
        c = validateVersions(work, store);
        if (c == null && work.isQuorum()) {
            c = validateStamps(work, store);
        }
        if (c != null) {
            locks.release(id);
        }
        return c;
    }

    private Conflict validateReadOnly(BranchId id, TxWork work, VersionLookup store) {
        for (Bytes key : work.reads().keySet()) {
            BranchId holder = locks.writeLockHolder(key);
            if (holder != null && !holder.equals(id)) {
                return new Conflict(Conflict.Kind.LOCKED, key, holder);
            }
        }
        return validateVersions(work, store);
    }

    /** Quorum mode: a write must carry a stamp greater than what it overwrites (see {@link Stamps}). */
    private static Conflict validateStamps(TxWork work, VersionLookup store) {
        for (Bytes key : work.writes().keySet()) {
            if (store.stampOf(key) >= work.stamp()) {
                return new Conflict(Conflict.Kind.STAMP_BEHIND, key, null);
            }
        }
        return null;
    }

    private static Conflict validateVersions(TxWork work, VersionLookup store) {
        for (Map.Entry<Bytes, Bytes> read : work.reads().entrySet()) {
            Bytes now = store.versionOf(read.getKey());
            if (!now.equals(read.getValue())) {
                return new Conflict(Conflict.Kind.VERSION_CHANGED, read.getKey(), null);
            }
        }
        return null;
    }
}
