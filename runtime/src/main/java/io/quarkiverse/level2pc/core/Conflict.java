package io.quarkiverse.level2pc.core;

/**
 * Why a participant voted NO. Conflicts are retryable: running the transaction again reads fresh
 * versions.
 */
public record Conflict(Kind kind, Bytes key, BranchId holder) {

    public enum Kind {
        /** The key changed since the transaction read it. */
        VERSION_CHANGED,
        /** Another prepared transaction holds a lock on the key. */
        LOCKED,
        /**
         * Quorum mode: the key already carries a commit stamp at least as great as this transaction's (a
         * conflicting transaction committed first with a later stamp); running it again takes a new stamp.
         */
        STAMP_BEHIND
    }

    public String describe() {
        return describe("key '" + key + "'");
    }

    /** The reason, naming the key as {@code keyName} (callers that know the key layout pass a readable name). */
    public String describe(String keyName) {
        return switch (kind) {
            case VERSION_CHANGED -> keyName + " was changed by another transaction after this one read it";
            case LOCKED -> keyName + " is locked by another transaction that is prepared or committing (" + holder + ")";
            case STAMP_BEHIND -> keyName + " was committed by another transaction with a later commit stamp";
        };
    }
}
