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
        LOCKED
    }

    public String describe() {
        return switch (kind) {
            case VERSION_CHANGED -> "key '" + key + "' was changed by another transaction after this one read it";
            case LOCKED -> "key '" + key + "' is locked by prepared transaction " + holder;
        };
    }
}
