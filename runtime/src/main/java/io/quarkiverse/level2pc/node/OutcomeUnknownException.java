package io.quarkiverse.level2pc.node;

import io.quarkiverse.level2pc.Level2pcException;

/**
 * A transaction's commit decision could not be written (the coordinator's store failed): it may or may not
 * have committed. Its branches stay prepared and its keys locked until the coordinator node restarts and
 * reads what its store holds; then it commits everywhere or nowhere. Not retryable as such: read the keys
 * once the node is back to learn the outcome.
 */
public class OutcomeUnknownException extends Level2pcException {

    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
