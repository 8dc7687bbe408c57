package io.quarkiverse.level2pc.deployment;

import java.net.URI;
import java.net.URL;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * The transport contract over HTTP: {@link RestPeerTransport} signing with the cluster secret, against
 * the peer routes a running node serves on its HTTP port.
 */
public class RestPeerTransportContractTest extends PeerTransportContractTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = participantApp(RestPeerTransportContractTest.class);

    private static final RestPeerTransport TRANSPORT = PeerTestSupport.rest(PeerTestSupport.SECRET, CLUSTER, null);
    private static final URI UNREACHABLE = PeerTestSupport.unreachablePeer();

    @TestHTTPResource("/")
    URL url;

    @Override
    protected PeerTransport transport() {
        return TRANSPORT;
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
