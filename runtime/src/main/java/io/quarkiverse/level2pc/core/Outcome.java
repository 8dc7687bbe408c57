package io.quarkiverse.level2pc.core;

/** The final state of a branch. */
public enum Outcome {
    COMMITTED,
    ROLLED_BACK
}
