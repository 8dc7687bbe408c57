package io.quarkiverse.level2pc.transport;

import java.nio.charset.StandardCharsets;

/** A peer's answer: an HTTP-like status and a body (binary on success, JSON error otherwise). */
public record PeerResponse(int status, byte[] body) {

    public static PeerResponse ok(byte[] body) {
        return new PeerResponse(200, body);
    }

    public static PeerResponse ok(String body) {
        return ok(body.getBytes(StandardCharsets.UTF_8));
    }

    /** An error with a JSON body {@code {"error":..,"detail":..}} naming the problem. */
    public static PeerResponse error(int status, String error, String detail) {
        String json = "{\"error\":" + quote(error) + ",\"detail\":" + quote(detail) + "}";
        return new PeerResponse(status, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Quorum mode: a prepare refused until a promise to a node left out runs out, {@code retryAfterMillis} from now. */
    public static PeerResponse promised(String detail, long retryAfterMillis) {
        String json = "{\"error\":" + quote(PeerProtocol.PROMISED) + ",\"detail\":" + quote(detail) + ",\"retryAfterMillis\":"
                + retryAfterMillis + "}";
        return new PeerResponse(503, json.getBytes(StandardCharsets.UTF_8));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : String.valueOf(s).toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
