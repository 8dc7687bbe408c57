package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A data directory created by node "a" refuses to open as node "b": the node name is part of every
 * transaction id the node coordinated, so reusing the directory under another name would break
 * recovery. The store of node "a" is created before the application starts.
 */
public class DataDirectoryOfAnotherNodeFailsStartupTest {

    static final String DIR = TestSupport.freshDataDir(DataDirectoryOfAnotherNodeFailsStartupTest.class);

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .setBeforeAllCustomizer(DataDirectoryOfAnotherNodeFailsStartupTest::createStoreOfNodeA)
            .overrideConfigKey("quarkus.level-2pc.path", DIR)
            .overrideConfigKey("quarkus.level-2pc.node-name", "b")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("belongs to node 'a'")
                    .contains("quarkus.level-2pc.node-name is 'b'")
                    .contains("quarkus.level-2pc.node-name=a"));

    static void createStoreOfNodeA() {
        try (NodeStore store = new NodeStore(LevelStore.open(Path.of(DIR, "leveldb"), true, 100))) {
            if (store.claimNodeName("a") != null) {
                throw new IllegalStateException("the fresh store already belonged to a node");
            }
        }
    }

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
