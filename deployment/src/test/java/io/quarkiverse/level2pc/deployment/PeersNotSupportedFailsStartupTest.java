package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** Peers are refused in this release rather than silently ignored. */
public class PeersNotSupportedFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeersNotSupportedFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://localhost:9999")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.peers")
                    .contains("not available in this release"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
