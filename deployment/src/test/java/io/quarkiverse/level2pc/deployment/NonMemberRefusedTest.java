package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.preparedOnDisk;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * A correctly signed request from a node that is not a member (not the name one of {@code quarkus.level-2pc.peers}
 * answers as) is refused with 403 naming it before it has any effect; the same requests from the member are served.
 */
public class NonMemberRefusedTest {

    static final String CLUSTER = "members";
    static final String NODE = "member-node";
    static final String MEMBER = "coordinator-x";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class, FakeMember.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", NODE)
            .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            .overrideConfigKey("quarkus.level-2pc.peers", FakeMember.address(MEMBER, CLUSTER))
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(NonMemberRefusedTest.class));

    private static final RestPeerTransport TRANSPORT = PeerTestSupport.rest(PeerTestSupport.SECRET, CLUSTER, null);

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;

    @TestHTTPResource("/")
    URL url;

    private URI peer() {
        return PeerTestSupport.base(url);
    }

    private PeerResponse send(String sender, String operation, byte[] body) {
        return TRANSPORT.send(peer(), new PeerRequest(sender, operation, body, PeerProtocol.HELLO.equals(operation) ? null : NODE));
    }

    @Test
    void aSignedHelloPrepareOrBatchFromANonMemberIsRefusedAndChangesNothing() {
        BranchId b = branch("intruder");
        byte[] prepare = Codec.encodePrepare(b, write("intruder", "intruded", "v"));
        byte[] frame = new byte[prepare.length + 1];
        frame[0] = 'p';
        System.arraycopy(prepare, 0, frame, 1, prepare.length);

        for (PeerResponse r : List.of(send("intruder", PeerProtocol.HELLO, "lease".getBytes(StandardCharsets.US_ASCII)),
                send("intruder", PeerProtocol.PREPARE, prepare),
                send("intruder", PeerProtocol.BATCH, Codec.encodeFrames(List.of(frame))),
                send("intruder", PeerProtocol.RECOVER, new byte[0]))) {
            assertThat(r.status()).as(r.bodyText()).isEqualTo(403);
            assertThat(r.bodyText()).contains("\"error\":\"not a member\"")
                    .contains("node 'intruder' is not among the peers of node '" + NODE + "'")
                    .contains("quarkus.level-2pc.peers").contains("'" + MEMBER + "'");
        }
        assertThat(node.nodeIfOpen().local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(node.nodeIfOpen().local().store())).doesNotContain(b);
        assertThat(db.get("intruded")).isNull();

        PeerClient intruder = new PeerClient(TRANSPORT, "intruder", Runnable::run);
        assertThatThrownBy(() -> Futures.join(intruder.hello(peer().toString(), false)))
                .isInstanceOf(PeerRefusedException.class)
                .hasMessageContaining("not among the peers of node '" + NODE + "'");
    }

    @Test
    void thisNodesOwnNameIsRefused() {
        PeerResponse r = send(NODE, PeerProtocol.HELLO, new byte[0]);

        assertThat(r.status()).isEqualTo(403);
        assertThat(r.bodyText()).contains("this node's own name").contains("quarkus.level-2pc.node-name");
    }

    @Test
    void theSameRequestsFromTheMemberAreServed() {
        PeerClient member = new PeerClient(TRANSPORT, MEMBER, Runnable::run);
        BranchId b = branch("member");

        assertThat(Futures.join(member.hello(peer().toString(), true)).node()).isEqualTo(NODE);
        assertThat(Futures.join(member.prepare(peer().toString(), b, write(MEMBER, "from-member", "v")))).isEqualTo(Vote.YES);
        assertThat(Futures.join(member.commit(peer().toString(), b))).isEqualTo(Completion.DONE);

        assertThat(db.get("from-member")).isEqualTo("v");
    }
}
