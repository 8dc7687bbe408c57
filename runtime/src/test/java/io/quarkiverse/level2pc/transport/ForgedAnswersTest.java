package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

/**
 * Someone on the path (or a process that is not a member) answering a peer call: both transports accept a YES vote
 * only with a valid answer signature for that very request; an unsigned one, one signed with another secret, and a
 * genuine answer replayed to another request are refused as a peer failure naming the signature. Failures
 * (here 503) need no signature: they change nothing but make the caller retry or give up.
 */
class ForgedAnswersTest {

    private static final String SECRET = "the-cluster-secret-0123456789";
    private static final byte[] YES = "YES".getBytes(StandardCharsets.US_ASCII);

    enum Mode {
        GENUINE, UNSIGNED, OTHER_SECRET, REPLAYED, FAILURE
    }

    private static Vertx vertx;
    private static HttpServer server;
    private static final AtomicReference<Mode> MODE = new AtomicReference<>(Mode.GENUINE);
    private static URI peer;

    @BeforeAll
    static void impersonator() throws Exception {
        vertx = Vertx.vertx();
        PeerAuth genuine = new PeerAuth(SECRET, Duration.ofSeconds(30), Clock.systemUTC());
        PeerAuth other = new PeerAuth("not-the-cluster-secret-98765", Duration.ofSeconds(30), Clock.systemUTC());
        String earlier = genuine.signResponse("a-nonce-of-an-earlier-request", 200, YES);
        server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            String nonce = req.getHeader(PeerProtocol.HEADER_NONCE);
            var resp = req.response().setStatusCode(200);
            switch (MODE.get()) {
                case GENUINE -> resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, genuine.signResponse(nonce, 200, YES));
                case OTHER_SECRET -> resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, other.signResponse(nonce, 200, YES));
                case REPLAYED -> resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, earlier);
                case FAILURE -> resp.setStatusCode(503);
                case UNSIGNED -> {
                }
            }
            resp.end(MODE.get() == Mode.FAILURE ? io.vertx.core.buffer.Buffer.buffer("{\"error\":\"not ready\"}")
                    : io.vertx.core.buffer.Buffer.buffer(YES));
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        peer = URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @AfterAll
    static void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static PeerAuth auth() {
        return new PeerAuth(SECRET, Duration.ofSeconds(30), Clock.systemUTC());
    }

    private static PeerTransport[] transports() {
        return new PeerTransport[] {
                new VertxPeerTransport(vertx, auth(), "c", Duration.ofSeconds(2), Duration.ofSeconds(5), null),
                new RestPeerTransport(auth(), "c", Duration.ofSeconds(2), Duration.ofSeconds(5), null) };
    }

    private static PeerResponse prepare(PeerTransport t) {
        return t.send(peer, new PeerRequest("a", PeerProtocol.PREPARE, "record".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aGenuineAnswerIsTaken() {
        MODE.set(Mode.GENUINE);
        for (PeerTransport t : transports()) {
            PeerResponse r = prepare(t);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(YES);
        }
    }

    @Test
    void forgedOrReplayedAnswersAreRefused() {
        for (Mode m : new Mode[] { Mode.UNSIGNED, Mode.OTHER_SECRET, Mode.REPLAYED }) {
            MODE.set(m);
            for (PeerTransport t : transports()) {
                assertThatThrownBy(() -> prepare(t)).as("%s through %s", m, t.getClass().getSimpleName())
                        .isInstanceOf(PeerUnavailableException.class)
                        .hasMessageContaining(m == Mode.UNSIGNED ? "carries no " + PeerProtocol.HEADER_RESPONSE_SIGNATURE : "bad signature");
            }
        }
    }

    @Test
    void aFailureNeedsNoSignature() {
        MODE.set(Mode.FAILURE);
        for (PeerTransport t : transports()) {
            assertThat(prepare(t).status()).isEqualTo(503);
        }
    }
}
