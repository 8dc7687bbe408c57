package io.quarkiverse.level2pc.transport;

import java.util.Objects;

/**
 * One peer-protocol request: an operation ({@link PeerProtocol#HELLO}, {@link PeerProtocol#PREPARE},
 * ...) and its binary body. {@code sender} is the calling node's name.
 */
public record PeerRequest(String sender, String operation, byte[] body) {
    public PeerRequest {
        Objects.requireNonNull(sender, "sender is null");
        Objects.requireNonNull(operation, "operation is null");
        body = body == null ? new byte[0] : body;
    }
}
