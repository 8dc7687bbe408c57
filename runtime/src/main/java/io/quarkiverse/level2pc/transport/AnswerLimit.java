package io.quarkiverse.level2pc.transport;

import java.net.URI;

import io.quarkiverse.level2pc.PeerUnavailableException;

/**
 * The bound on a peer's answer body, the bound requests have: {@code quarkus.level-2pc.max-message-size}. A
 * peer that is broken or hostile could otherwise make the caller buffer an answer of any size. Both transports
 * refuse a larger answer without reading it: by its {@code Content-Length} when it has one, else by counting
 * while it streams in, and close the connection (the rest of the answer is never read).
 */
final class AnswerLimit {

    /** The default of {@code quarkus.level-2pc.max-message-size} ({@code 10M}), for transports built without a bound. */
    static final long DEFAULT_BYTES = 10L * 1024 * 1024;

    private AnswerLimit() {
    }

    /** {@code bytes}, checked: a bound must be positive. */
    static long checked(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("the bound of a peer answer (quarkus.level-2pc.max-message-size) must be positive: "
                    + bytes);
        }
        return bytes;
    }

    /** The length a {@code Content-Length} header declares; -1 when there is none or it is not a number. */
    static long declared(String contentLength) {
        if (contentLength == null) {
            return -1;
        }
        try {
            return Long.parseLong(contentLength.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The failure of a call whose answer is larger than {@code limit}: {@code size} is its declared length, or
     * how much of it had arrived when it passed the bound ({@code atLeast}).
     */
    static PeerUnavailableException tooLarge(URI peer, String operation, long size, boolean atLeast, long limit) {
        return new PeerUnavailableException("peer " + peer + " answered " + operation + " with " + (atLeast ? "at least " : "")
                + size + " bytes, more than quarkus.level-2pc.max-message-size (" + limit + " bytes): the answer was"
                + " refused unread and the connection closed (answers are kept well below it: check that every node"
                + " sets the same max-message-size)");
    }
}
