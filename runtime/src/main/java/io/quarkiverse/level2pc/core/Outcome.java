package io.quarkiverse.level2pc.core;

/**
 * What a node knows of a branch or transaction: the one vocabulary of the protocol, used for the final
 * state of a branch ({@link #COMMITTED}, {@link #ROLLED_BACK}), for a coordinator's answer to "what
 * became of this transaction?" and for a participant's answer about a branch it took part in.
 */
public enum Outcome {
    /** Committed (for a coordinator: decided commit, durably). */
    COMMITTED,
    /** Rolled back; a coordinator also answers this for a transaction it has no record of (presumed abort). */
    ROLLED_BACK,
    /** Still being decided (prepares under way, or the decision being written). */
    IN_PROGRESS,
    /** The asked node has no record of it: not its coordinator, or (a participant) it neither holds nor remembers it. */
    UNKNOWN;

    /** Whether this is a final outcome (committed or rolled back). */
    public boolean isFinal() {
        return this == COMMITTED || this == ROLLED_BACK;
    }

    /** Parses an answer from the wire; anything unrecognised is {@link #UNKNOWN}. */
    public static Outcome parse(String text) {
        String t = text == null ? "" : text.trim();
        for (Outcome o : values()) {
            if (o.name().equals(t)) {
                return o;
            }
        }
        return UNKNOWN;
    }
}
