package io.quarkiverse.level2pc.core;

/**
 * A branch and its work, as a participant persists it before voting YES and as a peer's prepare request
 * carries it. Everything needed to commit after a restart is in here.
 */
public record PrepareRecord(BranchId branch, TxWork work) {
}
