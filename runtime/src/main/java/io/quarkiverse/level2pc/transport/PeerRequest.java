package io.quarkiverse.level2pc.transport;

import java.util.Objects;

/**
 * One peer-protocol request: an operation ({@link PeerProtocol#HELLO}, {@link PeerProtocol#PREPARE},
 * ...) and its binary body. {@code sender} is the calling node's name; {@code recipient} the called node's, as the
 * caller learned it from the peer's hello answer ({@code null} until then), to be signed with the request (see
 * {@link PeerAuth#sign(String, String, String, String, byte[])}).
 */
public record PeerRequest(String sender, String operation, byte[] body, String recipient) {
    public PeerRequest {
        Objects.requireNonNull(sender, "sender is null");
        Objects.requireNonNull(operation, "operation is null");
        body = body == null ? new byte[0] : body;
    }

    /** A request whose recipient is not named (as the receiving side builds it, and for hellos to unknown peers). */
    public PeerRequest(String sender, String operation, byte[] body) {
        this(sender, operation, body, null);
    }
}
