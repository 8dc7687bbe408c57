package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/**
 * Quorum mode needs a majority: with 4 nodes, min-consensus=1 would let 2 nodes commit on each side of a
 * partition. Startup stops and names the property and the smallest safe value.
 */
public class MinConsensusNotMajorityFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(MinConsensusNotMajorityFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://127.0.0.1:9,http://127.0.0.1:10,http://127.0.0.1:11")
            .overrideConfigKey("quarkus.level-2pc.min-consensus", "1")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.min-consensus=1 lets a write commit on 2 of the 4 nodes, which is not a majority")
                    .contains("Set it to at least 2"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
