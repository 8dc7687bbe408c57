package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** A peer URL must name its port (no guessing of 80/443 or the local port). */
public class PeerUrlWithoutPortFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeerUrlWithoutPortFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://127.0.0.1")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.peers contains 'http://127.0.0.1'")
                    .contains("no port"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
