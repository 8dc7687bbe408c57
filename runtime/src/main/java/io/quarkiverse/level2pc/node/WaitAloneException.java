package io.quarkiverse.level2pc.node;

import io.quarkiverse.level2pc.Level2pcException;

/**
 * A prepare that came in a batch with other messages found a key locked by a younger transaction, which wait-die
 * lets it wait for. Waiting there would hold the answer of the whole batch, and the other messages of it (a
 * holder's own prepare among them, possibly) with it; so it is refused, with nothing locked or written, and its
 * coordinator sends it again on its own, where it waits (peer status 423).
 */
public final class WaitAloneException extends Level2pcException {

    private static final long serialVersionUID = 1L;

    public WaitAloneException(String message) {
        super(message);
    }
}
