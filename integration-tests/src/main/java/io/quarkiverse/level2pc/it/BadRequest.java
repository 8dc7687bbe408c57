package io.quarkiverse.level2pc.it;

/** A request the demo app cannot act on; answered with 400 and what is wrong. */
public class BadRequest extends RuntimeException {
    private final String error;

    public BadRequest(String error, String detail) {
        super(detail);
        this.error = error;
    }

    public String error() {
        return error;
    }
}
