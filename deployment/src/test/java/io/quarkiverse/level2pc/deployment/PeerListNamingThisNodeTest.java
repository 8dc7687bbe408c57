package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A peer list that names the node itself (every pod of a StatefulSet gets the same list): the entry whose host starts
 * with the node name and a dot is skipped, the others are this node's peers.
 */
public class PeerListNamingThisNodeTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "kv-0")
            .overrideConfigKey("quarkus.level-2pc.peers", "http://kv-0.kv-peers:8080")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123456789abcdef")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeerListNamingThisNodeTest.class));

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;

    @Test
    void itsOwnEntryIsSkipped() {
        assertThat(node.peers()).as("kv-0's own entry is not a peer").isEmpty();
        db.put("k", "v");
        assertThat(db.get("k")).isEqualTo("v");
    }
}
