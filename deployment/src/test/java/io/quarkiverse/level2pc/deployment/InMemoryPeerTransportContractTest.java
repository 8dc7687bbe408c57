package io.quarkiverse.level2pc.deployment;

import java.net.URI;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkus.test.QuarkusUnitTest;

/**
 * The transport contract without a network: {@link InMemoryPeerTransport} hands each request to the
 * node's {@link io.quarkiverse.level2pc.transport.PeerEndpoint} (so it also pins what the endpoint
 * itself answers, independent of HTTP).
 */
public class InMemoryPeerTransportContractTest extends PeerTransportContractTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = participantApp(InMemoryPeerTransportContractTest.class);

    private static final URI PARTICIPANT = URI.create("mem://participant");

    @Override
    protected PeerTransport transport() {
        return new InMemoryPeerTransport().register(PARTICIPANT, () -> node.endpoint());
    }

    @Override
    protected URI participant() {
        return PARTICIPANT;
    }

    @Override
    protected URI unreachable() {
        return URI.create("mem://nobody");
    }
}
