package io.quarkiverse.level2pc.codec;

/**
 * Bytes that do not decode as the format they claim: a record in the store that this release cannot
 * read (the store layer turns it into a corrupted-store failure) or a malformed peer message (the
 * transport answers 400). The message names what was being decoded and what is wrong.
 */
public class DecodeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DecodeException(String message) {
        super(message);
    }

    public DecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
