package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** Peers without a cluster secret would leave the peer calls unauthenticated: startup stops. */
public class PeersWithoutClusterSecretFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeersWithoutClusterSecretFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://127.0.0.1:9")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.cluster-secret must be set when quarkus.level-2pc.peers is set"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
