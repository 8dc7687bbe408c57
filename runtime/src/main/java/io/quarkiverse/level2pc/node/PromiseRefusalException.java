package io.quarkiverse.level2pc.node;

import io.quarkiverse.level2pc.NotReadyException;

/**
 * Quorum mode: a participant refused a prepare because it promised a node left out of the transaction not
 * to commit without it (that node's read lease). The promise runs out after {@link #retryAfterMillis()}: a
 * coordinator then prepares again within its own deadline instead of failing. Nothing was locked or
 * written.
 */
public class PromiseRefusalException extends NotReadyException {

    private static final long serialVersionUID = 1L;
    private final long retryAfterMillis;

    public PromiseRefusalException(String message, long retryAfterMillis) {
        super(message);
        this.retryAfterMillis = retryAfterMillis;
    }

    /** When the longest of the promises in the way runs out, in milliseconds from now. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }
}
