package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URL;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * A node without {@code cluster-secret} (a single node) keeps its peer endpoints closed: every operation
 * is refused with 401, whatever secret the caller signs with, and nothing reaches the store. The node
 * itself works.
 */
public class PeerEndpointsClosedWithoutClusterSecretTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeerEndpointsClosedWithoutClusterSecretTest.class));

    @Inject
    ReplicatedDB db;

    @TestHTTPResource("/")
    URL url;

    @Test
    void everyOperationIsRefusedWith401() {
        URI peer = PeerTestSupport.base(url);
        // Whatever secret the caller knows: there is none to match.
        RestPeerTransport transport = PeerTestSupport.rest("any-secret-at-all-0123", "level-2pc", null);
        BranchId b = branch("closed");
        for (String op : List.of(PeerProtocol.HELLO, PeerProtocol.PREPARE, PeerProtocol.COMMIT, PeerProtocol.ROLLBACK,
                PeerProtocol.RECOVER)) {
            byte[] body = switch (op) {
                case PeerProtocol.PREPARE -> Codec.encodePrepare(b, write("coordinator-x", "closed", "v"));
                case PeerProtocol.COMMIT, PeerProtocol.ROLLBACK -> Codec.encodeBranch(b);
                default -> new byte[0];
            };
            PeerResponse r = transport.send(peer, new PeerRequest("coordinator-x", op, body));
            assertThat(r.status()).as(op).isEqualTo(401);
            assertThat(r.bodyText()).as(op).contains("peer endpoints are closed")
                    .contains("quarkus.level-2pc.cluster-secret is not set on this node");
        }
        assertThat(db.get("closed")).isNull();
    }

    @Test
    void peerClientReportsTheClosedEndpoints() {
        PeerClient client = new PeerClient(PeerTestSupport.rest(PeerTestSupport.SECRET, "level-2pc", null), "coordinator-x",
                Runnable::run);
        String peer = PeerTestSupport.base(url).toString();

        assertThatThrownBy(() -> Futures.join(client.hello(peer, false)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("peer endpoints are closed");
        assertThatThrownBy(() -> Futures.join(client.prepare(peer, branch("closed-prepare"), write("coordinator-x", "closed", "v"))))
                .isInstanceOf(PeerUnavailableException.class);
        assertThat(db.get("closed")).isNull();
    }

    @Test
    void theNodeItselfWorks() {
        db.put("local", "works");
        assertThat(db.get("local")).isEqualTo("works");
    }
}
