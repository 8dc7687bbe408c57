package io.quarkiverse.level2pc.core;

/**
 * What the caller of {@link Participant} must do next. Each variant states its ordering contract.
 */
public sealed interface Step {

    /**
     * Vote YES, but only after persisting {@code work} as the branch's prepare record with a synced
     * write and calling {@link Participant#persisted} (persist before you vote). If persisting fails,
     * call {@link Participant#abandon} and report an error instead of a vote. {@code alreadyDurable} is
     * true when a duplicate prepare hit a branch whose record is already on disk: vote YES straight
     * away. (A duplicate arriving while the record is still being synced gets {@link InProgress}.)
     */
    record PersistThenVoteYes(BranchId branch, TxWork work, boolean alreadyDurable) implements Step {
    }

    /**
     * The coordinator's own branch ({@link Participant#prepareLocally}) is validated and locked. It has no
     * prepare record: its commit writes the coordinator's decision in the same synced batch, and that batch is
     * what recovery reads (before it, nothing is on disk and the transaction is presumed aborted).
     */
    record Locked(BranchId branch) implements Step {
    }

    /**
     * The branch needs the lock of {@code key} held by {@code holder}, a younger transaction (wait-die: the
     * older one waits, the younger one dies): nothing was locked; ask again once {@code holder} finished
     * (bounded by the caller's lock wait timeout, then vote NO).
     */
    record Wait(BranchId branch, Bytes key, BranchId holder) implements Step {
    }

    /** Vote read-only: nothing to persist, the branch is forgotten, no commit will follow. */
    record VoteReadOnly(BranchId branch) implements Step {
    }

    /** Vote NO (or fail a one-phase commit): nothing was persisted, no locks are held. */
    record VoteNo(BranchId branch, Conflict conflict) implements Step {
    }

    /**
     * Apply {@code work.writes()} stamped with {@code branch.version()}, and delete the branch's
     * prepare record if {@code hadPrepareRecord}, all in ONE synced atomic write; then call
     * {@link Participant#finished(BranchId, Outcome)} with {@link Outcome#COMMITTED}. The locks stay held
     * until then, so no reader sees the old value after the new one.
     */
    record Apply(BranchId branch, TxWork work, boolean hadPrepareRecord) implements Step {
    }

    /**
     * Delete the branch's prepare record if {@code hadPrepareRecord} (synced), then call
     * {@link Participant#finished} with {@link Outcome#ROLLED_BACK}. A branch without a record (the
     * coordinator's own) is finished straight away.
     */
    record Discard(BranchId branch, boolean hadPrepareRecord) implements Step {
    }

    /** The branch already reached {@code outcome}: answer success, do nothing. */
    record AlreadyDone(BranchId branch, Outcome outcome) implements Step {
    }

    /**
     * Another call is completing the branch right now, or still syncing its prepare record; the caller
     * may wait and ask again.
     */
    record InProgress(BranchId branch) implements Step {
    }

    /** The branch is unknown here (XA: {@code XAER_NOTA}). */
    record Unknown(BranchId branch) implements Step {
    }

    /**
     * The request contradicts what already happened (e.g. commit of a rolled-back branch): a heuristic
     * or protocol error that must be reported loudly.
     */
    record Refused(BranchId branch, String reason) implements Step {
    }
}
