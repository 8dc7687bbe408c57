package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** Committing without every peer is not available yet: min-consensus below the number of peers stops startup and says so. */
public class MinConsensusBelowPeerCountFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(MinConsensusBelowPeerCountFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://127.0.0.1:9,http://127.0.0.1:10")
            .overrideConfigKey("quarkus.level-2pc.min-consensus", "1")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.min-consensus=1 is below the number of peers (2)")
                    .contains("arrive with failure handling"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
