package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

/**
 * The peer authentication: a signature binds the method, path, sender, timestamp, nonce and body to the
 * cluster secret; a receiver accepts it only once and only inside its replay window.
 */
class PeerAuthTest {

    private static final String SECRET = "the-cluster-secret-0123";
    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration WINDOW = Duration.ofSeconds(30);
    private static final byte[] BODY = "prepare record".getBytes(StandardCharsets.UTF_8);
    private static final String PATH = PeerProtocol.PATH_PREFIX + PeerProtocol.PREPARE;

    private static PeerAuth at(Instant now) {
        return new PeerAuth(SECRET, WINDOW, Clock.fixed(now, ZoneOffset.UTC));
    }

    private static Map<String, String> signed() {
        return new HashMap<>(at(NOW).sign("POST", PATH, "node-a", BODY));
    }

    private static String verify(PeerAuth receiver, Map<String, String> headers, String method, String path, byte[] body) {
        return receiver.verify(method, path, headers::get, body);
    }

    @Test
    void aSignedRequestIsAuthentic() {
        Map<String, String> h = signed();

        assertThat(verify(at(NOW), h, "POST", PATH, BODY)).isNull();
        assertThat(h).containsEntry(PeerProtocol.HEADER_NODE, "node-a")
                .containsKeys(PeerProtocol.HEADER_DATE, PeerProtocol.HEADER_NONCE, PeerProtocol.HEADER_SIGNATURE);
    }

    @Test
    void theSecretNeverTravels() {
        assertThat(signed().values()).noneMatch(v -> v.contains(SECRET));
    }

    @Test
    void everySignedPartIsBound() {
        PeerAuth receiver = at(NOW);
        assertThat(verify(receiver, signed(), "GET", PATH, BODY)).contains("bad signature");
        assertThat(verify(receiver, signed(), "POST", PeerProtocol.PATH_PREFIX + PeerProtocol.COMMIT, BODY)).contains("bad signature");
        assertThat(verify(receiver, signed(), "POST", PATH, "other body".getBytes(StandardCharsets.UTF_8))).contains("bad signature");
        assertThat(verify(receiver, with(PeerProtocol.HEADER_NODE, v -> "node-b"), "POST", PATH, BODY)).contains("bad signature");
        assertThat(verify(receiver, with(PeerProtocol.HEADER_NONCE, v -> v.replace(v.charAt(0), v.charAt(0) == 'a' ? 'b' : 'a')),
                "POST", PATH, BODY)).contains("bad signature");
        assertThat(verify(receiver, with(PeerProtocol.HEADER_DATE, v -> Long.toString(Long.parseLong(v) + 1)), "POST", PATH, BODY))
                .contains("bad signature");
    }

    @Test
    void theRecipientIsSignedAndCheckedByTheReceiver() {
        Map<String, String> toB = new HashMap<>(at(NOW).sign("POST", PATH, "node-a", "node-b", BODY));
        assertThat(toB).containsEntry(PeerProtocol.HEADER_TO, "node-b");
        assertThat(at(NOW).verify("POST", PATH, toB::get, BODY, "node-b")).as("at its recipient").isNull();
        assertThat(at(NOW).verify("POST", PATH, toB::get, BODY, "node-c")).as("replayed to another node")
                .startsWith(PeerAuth.MISADDRESSED).contains("'node-b'").contains("'node-c'");
        Map<String, String> changed = new HashMap<>(toB);
        changed.put(PeerProtocol.HEADER_TO, "node-c");
        assertThat(at(NOW).verify("POST", PATH, changed::get, BODY, "node-c")).as("recipient rewritten").contains("bad signature");

        Map<String, String> unnamed = new HashMap<>(at(NOW).sign("POST", PATH, "node-a", null, BODY));
        assertThat(at(NOW).verify("POST", PATH, unnamed::get, BODY, "node-b")).as("a prepare naming nobody")
                .startsWith(PeerAuth.MISADDRESSED).contains("must name its recipient");
        String hello = PeerProtocol.PATH_PREFIX + PeerProtocol.HELLO;
        Map<String, String> firstHello = new HashMap<>(at(NOW).sign("POST", hello, "node-a", null, BODY));
        assertThat(at(NOW).verify("POST", hello, firstHello::get, BODY, "node-b")).as("a hello naming nobody").isNull();
    }

    private static Map<String, String> with(String header, UnaryOperator<String> change) {
        Map<String, String> h = signed();
        h.put(header, change.apply(h.get(header)));
        return h;
    }

    @Test
    void anotherSecretIsRefusedNamingTheProperty() {
        PeerAuth receiver = new PeerAuth("another-secret-0123456", WINDOW, Clock.fixed(NOW, ZoneOffset.UTC));

        assertThat(verify(receiver, signed(), "POST", PATH, BODY))
                .contains("bad signature")
                .contains("quarkus.level-2pc.cluster-secret")
                .doesNotContain(SECRET);
    }

    @Test
    void aNonceIsAcceptedOnlyOnce() {
        PeerAuth receiver = at(NOW);
        Map<String, String> h = signed();

        assertThat(verify(receiver, h, "POST", PATH, BODY)).isNull();
        assertThat(verify(receiver, h, "POST", PATH, BODY)).contains("replayed");
    }

    @Test
    void aRefusedRequestDoesNotUseUpItsNonce() {
        // Only authentic requests reach the nonce cache: a forgery cannot burn a genuine request's nonce.
        PeerAuth receiver = at(NOW);
        Map<String, String> genuine = signed();
        Map<String, String> forged = new HashMap<>(genuine);
        forged.put(PeerProtocol.HEADER_SIGNATURE, "AAAA");

        assertThat(verify(receiver, forged, "POST", PATH, BODY)).contains("bad signature");
        assertThat(verify(receiver, genuine, "POST", PATH, BODY)).isNull();
    }

    @Test
    void onlyRequestsInsideTheReplayWindowAreAccepted() {
        Map<String, String> h = signed();

        assertThat(verify(at(NOW.plus(WINDOW)), h, "POST", PATH, BODY)).isNull();
        assertThat(verify(at(NOW.plus(WINDOW).plusMillis(1)), signed(), "POST", PATH, BODY))
                .contains("30000 ms").contains("check the clocks");
        assertThat(verify(at(NOW.minus(WINDOW).minusMillis(1)), signed(), "POST", PATH, BODY)).contains("check the clocks");
    }

    @Test
    void missingOrMalformedHeadersAreRefused() {
        for (String header : new String[] { PeerProtocol.HEADER_NODE, PeerProtocol.HEADER_DATE, PeerProtocol.HEADER_NONCE,
                PeerProtocol.HEADER_SIGNATURE }) {
            Map<String, String> h = signed();
            h.remove(header);
            assertThat(verify(at(NOW), h, "POST", PATH, BODY)).as(header).contains("missing authentication headers");
        }
        assertThat(verify(at(NOW), with(PeerProtocol.HEADER_DATE, v -> "yesterday"), "POST", PATH, BODY))
                .contains("not a number");
    }

    @Test
    void twoSignaturesOfTheSameRequestUseDifferentNonces() {
        assertThat(signed().get(PeerProtocol.HEADER_NONCE)).isNotEqualTo(signed().get(PeerProtocol.HEADER_NONCE));
    }

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        Instant now = NOW;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void nonceCacheForgetsWhatTheWindowNoLongerAcceptsAndStaysBounded() {
        MovingClock clock = new MovingClock();
        PeerAuth receiver = new PeerAuth(SECRET, WINDOW, clock);
        PeerAuth sender = new PeerAuth(SECRET, WINDOW, clock);
        Map<String, String> first = new HashMap<>(sender.sign("POST", PATH, "node-a", BODY));
        for (int i = 0; i < 1000; i++) {
            assertThat(verify(receiver, new HashMap<>(sender.sign("POST", PATH, "node-a", BODY)), "POST", PATH, BODY)).isNull();
        }
        assertThat(verify(receiver, first, "POST", PATH, BODY)).isNull();
        assertThat(verify(receiver, first, "POST", PATH, BODY)).contains("replayed");
        assertThat(receiver.rememberedNonces()).isEqualTo(1001);

        // Two windows later every remembered timestamp is outside the window: the next request purges them.
        clock.now = NOW.plus(WINDOW.multipliedBy(2)).plusMillis(1);
        assertThat(verify(receiver, new HashMap<>(sender.sign("POST", PATH, "node-a", BODY)), "POST", PATH, BODY)).isNull();
        assertThat(receiver.rememberedNonces()).isEqualTo(1);
        // and the old request is still refused, by its timestamp
        assertThat(verify(receiver, first, "POST", PATH, BODY)).contains("away from this node's clock");
    }

    // ---- answers -----------------------------------------------------------------------------

    @Test
    void anAnswerIsAuthenticOnlyForItsRequestStatusAndBody() {
        PeerAuth a = at(NOW);
        byte[] yes = "YES".getBytes(StandardCharsets.UTF_8);
        String sig = a.signResponse("nonce-1", 200, yes);

        assertThat(a.verifyResponse("nonce-1", 200, sig, yes)).isNull();
        assertThat(a.verifyResponse("nonce-2", 200, sig, yes)).as("replayed to another request").contains("bad signature");
        assertThat(a.verifyResponse("nonce-1", 404, sig, yes)).as("another status").contains("bad signature");
        assertThat(a.verifyResponse("nonce-1", 200, sig, "NO".getBytes(StandardCharsets.UTF_8))).as("another body")
                .contains("bad signature");
        assertThat(a.verifyResponse("nonce-1", 200, null, yes)).contains("carries no " + PeerProtocol.HEADER_RESPONSE_SIGNATURE);
        assertThat(new PeerAuth("another-secret-0123456789", WINDOW, Clock.systemUTC()).verifyResponse("nonce-1", 200, sig, yes))
                .as("signed with another secret").contains("bad signature");
    }

    @Test
    void onlyAnswersTheCallerActsOnMustBeSigned() {
        PeerAuth a = at(NOW);
        for (int status : new int[] { 200, 404, 409 }) {
            assertThat(PeerAuth.mustBeSigned(status)).isTrue();
            assertThat(a.verifyResponse("n", status, null, new byte[0])).isNotNull();
        }
        for (int status : new int[] { 400, 401, 412, 413, 500, 503 }) {
            assertThat(PeerAuth.mustBeSigned(status)).as("a failure anyway: %d", status).isFalse();
            assertThat(a.verifyResponse("n", status, null, new byte[0])).isNull();
        }
    }
}
