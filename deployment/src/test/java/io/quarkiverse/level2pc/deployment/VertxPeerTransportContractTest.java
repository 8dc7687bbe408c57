package io.quarkiverse.level2pc.deployment;

import java.net.URI;
import java.net.URL;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.VertxPeerTransport;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * The transport contract for the default transport the extension produces, {@link VertxPeerTransport}
 * (it signs with the node's own secret and cluster name), against the peer routes the node serves.
 */
public class VertxPeerTransportContractTest extends PeerTransportContractTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = participantApp(VertxPeerTransportContractTest.class);

    private static final URI UNREACHABLE = PeerTestSupport.unreachablePeer();

    @TestHTTPResource("/")
    URL url;

    @Override
    protected PeerTransport transport() {
        PeerTransport produced = Arc.container().instance(PeerTransport.class).get();
        if (!(produced instanceof VertxPeerTransport)) {
            throw new AssertionError("the produced transport is " + produced.getClass());
        }
        return produced;
    }

    @Override
    protected URI participant() {
        return PeerTestSupport.base(url);
    }

    @Override
    protected URI unreachable() {
        return UNREACHABLE;
    }
}
