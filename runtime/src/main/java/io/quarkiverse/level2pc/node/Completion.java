package io.quarkiverse.level2pc.node;

/** What a second-phase call (commit, rollback) found. */
public enum Completion {
    /** Done now, or already done before. */
    DONE,
    /** The branch is unknown there: never prepared, or completed and forgotten (XA {@code XAER_NOTA}). */
    UNKNOWN
}
