package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;

/**
 * A peer (broken, or not a member) answering more than {@code max-message-size}: both transports fail the call as
 * a peer failure naming the size, the bound and the property, and read no more than the bound: an answer that
 * declares its length is refused by its {@code Content-Length}, a chunked one as soon as the bytes received pass the
 * bound; either way the connection is closed while the peer is still writing. An answer of exactly the bound is
 * taken.
 */
class AnswerSizeBoundTest {

    private static final String SECRET = "the-cluster-secret-0123456789";
    private static final int LIMIT = 64 * 1024;
    /** What the peer tries to answer: far more than the socket buffers between the two can hold. */
    private static final long HUGE = 256L * 1024 * 1024;
    private static final Buffer CHUNK = Buffer.buffer(new byte[16 * 1024]);

    enum Mode {
        AT_THE_LIMIT, DECLARED, CHUNKED
    }

    private static Vertx vertx;
    private static URI peer;
    private static final AtomicReference<Mode> MODE = new AtomicReference<>();
    /** Completed by the peer when its answer ends: with the bytes it wrote before the connection closed, or -1 if it wrote all. */
    private static final AtomicReference<CompletableFuture<Long>> WRITTEN = new AtomicReference<>();

    @BeforeAll
    static void peer() throws Exception {
        vertx = Vertx.vertx();
        PeerAuth genuine = auth();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            HttpServerResponse resp = req.response().setStatusCode(200);
            CompletableFuture<Long> written = WRITTEN.get();
            switch (MODE.get()) {
                case AT_THE_LIMIT -> {
                    byte[] body = new byte[LIMIT];
                    resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE,
                            genuine.signResponse(req.getHeader(PeerProtocol.HEADER_NONCE), 200, body));
                    resp.end(Buffer.buffer(body)).onSuccess(v -> written.complete(-1L));
                }
                case DECLARED -> {
                    resp.putHeader("Content-Length", Long.toString(HUGE));
                    resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, "signed-looking");
                    stream(resp, written);
                }
                case CHUNKED -> {
                    resp.setChunked(true);
                    resp.putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, "signed-looking");
                    stream(resp, written);
                }
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        peer = URI.create("http://127.0.0.1:" + server.actualPort());
    }

    /** Writes {@link #HUGE} bytes as fast as the connection takes them, until it is closed. */
    private static void stream(HttpServerResponse resp, CompletableFuture<Long> written) {
        long[] sent = { 0 };
        resp.closeHandler(v -> written.complete(sent[0]));
        Runnable[] more = new Runnable[1];
        more[0] = () -> {
            while (!written.isDone() && sent[0] < HUGE && !resp.writeQueueFull()) {
                resp.write(CHUNK);
                sent[0] += CHUNK.length();
            }
            if (written.isDone()) {
                return;
            }
            if (sent[0] >= HUGE) {
                resp.end().onSuccess(v -> written.complete(-1L));
            } else {
                resp.drainHandler(v -> more[0].run());
            }
        };
        more[0].run();
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
                new VertxPeerTransport(vertx, auth(), "c", Duration.ofSeconds(2), Duration.ofSeconds(20), null, LIMIT),
                new RestPeerTransport(auth(), "c", Duration.ofSeconds(2), Duration.ofSeconds(20), null, LIMIT) };
    }

    @AfterEach
    void closeTransports() throws Exception {
        for (PeerTransport t : used) {
            if (t instanceof AutoCloseable c) {
                c.close();
            }
        }
    }

    private final List<PeerTransport> used = new ArrayList<>();

    private PeerTransport[] fresh() {
        PeerTransport[] ts = transports();
        used.addAll(List.of(ts));
        return ts;
    }

    private static PeerResponse catchUp(PeerTransport t) {
        return t.send(peer, new PeerRequest("a", PeerProtocol.CATCH_UP, new byte[0]));
    }

    @Test
    void anAnswerOfExactlyTheBoundIsTaken() throws Exception {
        MODE.set(Mode.AT_THE_LIMIT);
        for (PeerTransport t : fresh()) {
            WRITTEN.set(new CompletableFuture<>());
            PeerResponse r = catchUp(t);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).hasSize(LIMIT);
            assertThat(WRITTEN.get().get(10, TimeUnit.SECONDS)).isEqualTo(-1L);
        }
    }

    @Test
    void anAnswerDeclaringMoreThanTheBoundIsRefusedUnreadNamingSizeBoundAndProperty() throws Exception {
        MODE.set(Mode.DECLARED);
        for (PeerTransport t : fresh()) {
            WRITTEN.set(new CompletableFuture<>());
            assertThatThrownBy(() -> catchUp(t)).as(t.getClass().getSimpleName())
                    .isInstanceOf(PeerUnavailableException.class)
                    .hasMessageContaining("answered " + PeerProtocol.CATCH_UP + " with " + HUGE + " bytes")
                    .hasMessageContaining("quarkus.level-2pc.max-message-size (" + LIMIT + " bytes)");
            assertClosedWhileWriting(t);
        }
    }

    @Test
    void aChunkedAnswerIsRefusedOnceWhatArrivedPassesTheBound() throws Exception {
        MODE.set(Mode.CHUNKED);
        for (PeerTransport t : fresh()) {
            WRITTEN.set(new CompletableFuture<>());
            assertThatThrownBy(() -> catchUp(t)).as(t.getClass().getSimpleName())
                    .isInstanceOf(PeerUnavailableException.class)
                    .hasMessageContaining("answered " + PeerProtocol.CATCH_UP + " with at least ")
                    .hasMessageContaining("quarkus.level-2pc.max-message-size (" + LIMIT + " bytes)")
                    .satisfies(e -> assertThat(atLeast(e.getMessage())).isGreaterThan(LIMIT).isLessThanOrEqualTo(4L * LIMIT));
            assertClosedWhileWriting(t);
        }
    }

    /** The peer saw the connection closed long before it could write its whole answer: the client stopped reading. */
    private static void assertClosedWhileWriting(PeerTransport t) throws Exception {
        long written = WRITTEN.get().get(20, TimeUnit.SECONDS);
        assertThat(written).as("bytes the peer wrote before %s closed the connection (-1: it wrote all %d)",
                t.getClass().getSimpleName(), HUGE).isBetween(0L, HUGE / 4);
    }

    private static long atLeast(String message) {
        String rest = message.substring(message.indexOf("at least ") + "at least ".length());
        return Long.parseLong(rest.substring(0, rest.indexOf(' ')));
    }

    @Test
    void aBoundMustBePositive() {
        assertThatThrownBy(() -> new RestPeerTransport(auth(), "c", Duration.ofSeconds(2), Duration.ofSeconds(2), null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-message-size");
    }
}
