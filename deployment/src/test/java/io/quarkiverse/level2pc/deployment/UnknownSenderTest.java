package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * A sender whose name the node does not know yet makes it ask its peers their names before it decides: while a peer
 * cannot be asked (it may be the sender), the answer is 503 (retryable) naming the sender and that peer; once it
 * answers, its name is let in and any other is refused.
 */
public class UnknownSenderTest {

    static final String CLUSTER = "late-members";
    static final String NODE = "waiting-node";
    static final String LATE = "late-member";

    /** Where the late member will listen: nobody does until the test starts it (the same in both class inits). */
    static final String LATE_ADDRESS = lateAddress();

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class, FakeMember.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", NODE)
            .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            .overrideConfigKey("quarkus.level-2pc.peers", FakeMember.address("early-member", CLUSTER) + "," + LATE_ADDRESS)
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(UnknownSenderTest.class));

    private static final RestPeerTransport TRANSPORT = PeerTestSupport.rest(PeerTestSupport.SECRET, CLUSTER, null);

    static String lateAddress() {
        String property = "level2pc.test.late-member";
        if (System.getProperty(property) == null) {
            System.setProperty(property, PeerTestSupport.unreachablePeer().toString());
        }
        return System.getProperty(property);
    }

    @Inject
    Level2pcNode node;

    @TestHTTPResource("/")
    URL url;

    private PeerResponse prepare(String sender, BranchId b) {
        URI peer = PeerTestSupport.base(url);
        return TRANSPORT.send(peer, new PeerRequest(sender, PeerProtocol.PREPARE, Codec.encodePrepare(b, write(sender, "k", "v")), NODE));
    }

    @Test
    void anUnknownSenderIsDecidedOnceEveryPeerSaidItsName() {
        BranchId early = branch("before-late-is-up");
        PeerResponse unknown = prepare(LATE, early);
        assertThat(unknown.status()).as(unknown.bodyText()).isEqualTo(503);
        assertThat(unknown.bodyText()).contains("\"error\":\"unknown sender\"").contains("node '" + LATE + "'")
                .contains(LATE_ADDRESS).contains("quarkus.level-2pc.peers").contains("retry");
        assertThat(prepare("intruder", branch("intruder-before")).status()).isEqualTo(503);
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();

        FakeMember late = FakeMember.start(LATE, CLUSTER, FakeMember.port(LATE_ADDRESS));
        try {
            BranchId b = branch("late-is-up");
            PeerResponse admitted = prepare(LATE, b);
            assertThat(admitted.status()).as(admitted.bodyText()).isEqualTo(200);
            assertThat(admitted.bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
            assertThat(node.nodeIfOpen().local().prepared()).containsExactly(b);

            PeerResponse intruder = prepare("intruder", branch("intruder-after"));
            assertThat(intruder.status()).as(intruder.bodyText()).isEqualTo(403);
            assertThat(intruder.bodyText()).contains("node 'intruder' is not among the peers");
            assertThat(node.nodeIfOpen().local().prepared()).containsExactly(b);
        } finally {
            late.stop();
        }
    }
}
