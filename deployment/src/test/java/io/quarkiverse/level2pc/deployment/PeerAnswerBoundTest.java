package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;

/**
 * The transport the extension produces takes answers up to {@code quarkus.level-2pc.max-message-size} (here 64K):
 * a peer's answer of exactly that size is taken, one byte more fails the call naming the property.
 */
public class PeerAnswerBoundTest {

    static final int MAX = 64 * 1024;

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "bounded-node")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            .overrideConfigKey("quarkus.level-2pc.max-message-size", "64K")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeerAnswerBoundTest.class));

    private static final AtomicInteger ANSWER_SIZE = new AtomicInteger();
    private static Vertx vertx;
    private static URI peer;

    @BeforeAll
    static void peer() throws Exception {
        vertx = Vertx.vertx();
        PeerAuth auth = new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30), Clock.systemUTC());
        HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            byte[] body = new byte[ANSWER_SIZE.get()];
            req.response().putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE,
                    auth.signResponse(req.getHeader(PeerProtocol.HEADER_NONCE), 200, body)).end(Buffer.buffer(body));
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        peer = URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @AfterAll
    static void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static PeerResponse catchUp() {
        PeerTransport produced = Arc.container().instance(PeerTransport.class).get();
        return produced.send(peer, new PeerRequest("bounded-node", PeerProtocol.CATCH_UP, new byte[0]));
    }

    @Test
    void anAnswerOfMaxMessageSizeIsTakenAndALargerOneFailsNamingTheProperty() {
        ANSWER_SIZE.set(MAX);
        assertThat(catchUp().body()).hasSize(MAX);

        ANSWER_SIZE.set(MAX + 1);
        assertThatThrownBy(PeerAnswerBoundTest::catchUp).isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("with " + (MAX + 1) + " bytes")
                .hasMessageContaining("quarkus.level-2pc.max-message-size (" + MAX + " bytes)");
    }
}
