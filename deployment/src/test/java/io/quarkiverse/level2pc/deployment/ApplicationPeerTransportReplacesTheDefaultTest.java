package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.node.PeerMonitor;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;

/**
 * An application bean implementing {@link PeerTransport} replaces the default REST transport, and the
 * node really talks to its peers through it: the configured peer (where nothing listens) answers the
 * heartbeat only through the application's transport, and the node becomes ready.
 */
public class ApplicationPeerTransportReplacesTheDefaultTest {

    static final String PEER = "http://127.0.0.1:9";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, FakePeerTransport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "custom-transport-node")
            .overrideConfigKey("quarkus.level-2pc.peers", PEER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "custom-transport-secret-0123")
            .overrideConfigKey("quarkus.level-2pc.heartbeat-interval", "100ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ApplicationPeerTransportReplacesTheDefaultTest.class));

    /** Plays one peer that answers every heartbeat; records what the node sent. */
    @Singleton
    public static class FakePeerTransport implements PeerTransport {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            calls.add(request.operation() + " " + peer + " from " + request.sender());
            if (!URI.create(PEER).equals(peer)) {
                throw new PeerUnavailableException("no such peer " + peer);
            }
            if (PeerProtocol.HELLO.equals(request.operation())) {
                return PeerResponse.ok("{\"node\":\"fake-peer\",\"cluster\":\"level-2pc\",\"protocol\":" + PeerProtocol.VERSION + "}");
            }
            return PeerResponse.error(503, "retry", "the fake peer only says hello");
        }
    }

    @Inject
    Level2pcNode node;
    @Inject
    FakePeerTransport fake;

    @Test
    void theApplicationBeanIsThePeerTransport() {
        PeerTransport transport = Arc.container().instance(PeerTransport.class).get();

        assertThat(transport).isNotInstanceOf(RestPeerTransport.class).isNotInstanceOf(io.quarkiverse.level2pc.transport.VertxPeerTransport.class);
        assertThat(transport).isInstanceOf(FakePeerTransport.class);
        assertThat(Arc.container().select(PeerTransport.class).stream().count()).isEqualTo(1);
    }

    @Test
    void theNodeReachesItsPeerThroughIt() {
        await().atMost(Duration.ofSeconds(10)).until(() -> node.nodeIfOpen().readiness().isReady());

        assertThat(fake.calls).contains("hello " + PEER + " from custom-transport-node");
        assertThat(node.nodeIfOpen().monitor().status()).singleElement()
                .satisfies(s -> {
                    assertThat(s.state()).isEqualTo(PeerMonitor.State.CONNECTED);
                    assertThat(s.node()).isEqualTo("fake-peer");
                });
    }
}
