package io.quarkiverse.level2pc.transport;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates peer calls with the cluster secret: HMAC-SHA256 over the method, the path, the sender,
 * the recipient's node name, a timestamp, a nonce and the SHA-256 of the body. The recipient refuses a request
 * addressed to another node, so a captured request cannot be replayed to one; only a {@code hello} may leave the
 * recipient empty (the caller learns the peer's name from its first answer). A request is accepted only inside a replay window
 * around the receiver's clock, and each nonce only once within it. The secret itself never travels.
 *
 * <p>
 * Answers are signed too: HMAC-SHA256 over the request's nonce, the status and the SHA-256 of the body, so that
 * nobody on the path can forge or replay a YES vote, an outcome or a catch-up answer (without TLS). The caller
 * acts on an answer as a success (200, 404 "unknown branch", 409) only if its signature is valid.
 */
public final class PeerAuth {

    private final byte[] secret;
    private final Duration window;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Long> seenNonces = new ConcurrentHashMap<>();
    /**
     * The nonces in the order they were received, with the receiver's time: expired from the head in
     * amortized constant time (a scan of the whole cache on every request cost more CPU than the rest
     * of a peer call at a few hundred calls per second).
     */
    private final ArrayDeque<Seen> nonceExpiry = new ArrayDeque<>();

    private record Seen(long receivedAt, String nonce) {
    }

    public PeerAuth(String secret, Duration window, Clock clock) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.window = window;
        this.clock = clock;
    }

    /** The authentication headers for a request with no recipient named (only a {@code hello} is accepted so). */
    public Map<String, String> sign(String method, String path, String sender, byte[] body) {
        return sign(method, path, sender, null, body);
    }

    /** The authentication headers for a request to the node named {@code recipient} ({@code null}: not known yet). */
    public Map<String, String> sign(String method, String path, String sender, String recipient, byte[] body) {
        String to = recipient == null ? "" : recipient;
        String date = Long.toString(clock.millis());
        byte[] n = new byte[16];
        random.nextBytes(n);
        String nonce = HexFormat.of().formatHex(n);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PeerProtocol.HEADER_NODE, sender);
        headers.put(PeerProtocol.HEADER_DATE, date);
        headers.put(PeerProtocol.HEADER_NONCE, nonce);
        headers.put(PeerProtocol.HEADER_TO, to);
        headers.put(PeerProtocol.HEADER_SIGNATURE, signature(method, path, sender, to, date, nonce, body));
        return headers;
    }

    /**
     * Checks a request's authentication headers.
     *
     * @return {@code null} if authentic, else why not (for the 401 answer; never echoes the secret)
     */
    public String verify(String method, String path, Function<String, String> header, byte[] body) {
        return verify(method, path, header, body, null);
    }

    /**
     * Checks a request's authentication headers, and that it is addressed to {@code self} (the receiver's node name;
     * {@code null}: not checked): a request naming another node is refused, and so is one naming none unless it is a
     * {@code hello}.
     *
     * @return {@code null} if authentic, else why not (for the 401 answer; never echoes the secret)
     */
    public String verify(String method, String path, Function<String, String> header, byte[] body, String self) {
        String unfit = precheck(header);
        if (unfit != null) {
            return unfit;
        }
        String sender = header.apply(PeerProtocol.HEADER_NODE);
        String date = header.apply(PeerProtocol.HEADER_DATE);
        String nonce = header.apply(PeerProtocol.HEADER_NONCE);
        String sig = header.apply(PeerProtocol.HEADER_SIGNATURE);
        String to = header.apply(PeerProtocol.HEADER_TO);
        to = to == null ? "" : to;
        long at = Long.parseLong(date);
        long now = clock.millis();
        byte[] expected = signature(method, path, sender, to, date, nonce, body).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, sig.getBytes(StandardCharsets.US_ASCII))) {
            return "bad signature: the caller does not know quarkus.level-2pc.cluster-secret";
        }
        if (self != null && !to.equals(self) && !(to.isEmpty() && path.endsWith(PeerProtocol.PATH_PREFIX + PeerProtocol.HELLO))) {
            return to.isEmpty() ? MISADDRESSED + ": a request other than hello must name its recipient (" + PeerProtocol.HEADER_TO + ")"
                    : MISADDRESSED + ": the request is for node '" + to + "', this is node '" + self + "'";
        }
        // Only authentic requests reach the nonce cache, so outsiders cannot fill it.
        if (seenNonces.putIfAbsent(nonce, at) != null) {
            return REPLAYED + " (nonce already used)";
        }
        // A nonce must be remembered while its timestamp can still be accepted: at most window after
        // it, and its timestamp is at most window before its arrival here.
        long forgetBefore = now - 2 * window.toMillis();
        synchronized (nonceExpiry) {
            nonceExpiry.addLast(new Seen(now, nonce));
            while (!nonceExpiry.isEmpty() && nonceExpiry.peekFirst().receivedAt() < forgetBefore) {
                seenNonces.remove(nonceExpiry.pollFirst().nonce());
            }
        }
        return null;
    }

    /**
     * The checks that need neither the body nor the secret: every authentication header present, a
     * timestamp inside the replay window. Run before the body is read, so that a request that cannot be
     * authentic is refused without buffering (up to {@code max-message-size}) and hashing its body.
     *
     * @return {@code null} if the request may be authentic, else why not
     */
    public String precheck(Function<String, String> header) {
        String sender = header.apply(PeerProtocol.HEADER_NODE);
        String date = header.apply(PeerProtocol.HEADER_DATE);
        String nonce = header.apply(PeerProtocol.HEADER_NONCE);
        String sig = header.apply(PeerProtocol.HEADER_SIGNATURE);
        if (sender == null || date == null || nonce == null || sig == null) {
            return "missing authentication headers (" + PeerProtocol.HEADER_NODE + ", " + PeerProtocol.HEADER_DATE + ", "
                    + PeerProtocol.HEADER_NONCE + ", " + PeerProtocol.HEADER_SIGNATURE + ")";
        }
        long at;
        try {
            at = Long.parseLong(date);
        } catch (NumberFormatException e) {
            return PeerProtocol.HEADER_DATE + " is not a number of milliseconds";
        }
        long now = clock.millis();
        if (Math.abs(now - at) > window.toMillis()) {
            return "request timestamp is " + (now - at) + " ms away from this node's clock; the replay window is "
                    + window.toMillis() + " ms (check the clocks)";
        }
        return null;
    }

    /** The signature of an answer with {@code status} and {@code body} to the request with nonce {@code requestNonce}. */
    public String signResponse(String requestNonce, int status, byte[] body) {
        return mac("response\n" + requestNonce + "\n" + status + "\n" + sha256(body));
    }

    /**
     * Checks an answer's signature, where the caller would act on the answer ({@link #mustBeSigned}).
     *
     * @return {@code null} if it needs none or is authentic, else why not
     */
    public String verifyResponse(String requestNonce, int status, String signature, byte[] body) {
        if (!mustBeSigned(status)) {
            return null;
        }
        if (signature == null) {
            return "the answer (HTTP " + status + ") carries no " + PeerProtocol.HEADER_RESPONSE_SIGNATURE
                    + ": not a node of this cluster, or something in between rewrote it";
        }
        byte[] expected = signResponse(requestNonce, status, body).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII))) {
            return "the answer (HTTP " + status + ") has a bad signature: it was changed on the way, or does not"
                    + " answer this request, or its sender does not know quarkus.level-2pc.cluster-secret";
        }
        return null;
    }

    /**
     * Whether the caller would act on an answer with {@code status} as a success, so that it must be authentic:
     * 200, 404 ("unknown branch": a second phase counted as done), 409 (a NO vote, a heuristic outcome). Other
     * answers are failures the caller gives up or retries on, which anyone on the path can cause anyway.
     */
    public static boolean mustBeSigned(int status) {
        return status == 200 || status == 404 || status == 409;
    }

    /** How many nonces are remembered now (tests: the cache stays bounded by the replay window). */
    int rememberedNonces() {
        return seenNonces.size();
    }

    /**
     * How the refusal of a nonce already used starts: a replay, or the second copy of a request the network
     * delivered twice (the first copy was handled).
     */
    public static final String REPLAYED = "replayed request";

    /** How a refusal of a request addressed to another node starts: the caller then forgets the name it used. */
    public static final String MISADDRESSED = "misaddressed";

    private String signature(String method, String path, String sender, String to, String date, String nonce, byte[] body) {
        return mac(method + "\n" + path + "\n" + sender + "\n" + to + "\n" + date + "\n" + nonce + "\n" + sha256(body));
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private String mac(String canonical) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
