package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** In quorum mode heartbeats renew the read lease: a lease shorter than two heartbeats stops startup, naming both properties. */
public class ReadLeaseShorterThanTwoHeartbeatsFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ReadLeaseShorterThanTwoHeartbeatsFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.peers", "http://127.0.0.1:9,http://127.0.0.1:10")
            .overrideConfigKey("quarkus.level-2pc.min-consensus", "1")
            .overrideConfigKey("quarkus.level-2pc.read-lease", "1500ms")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.read-lease=PT1.5S must be at least twice quarkus.level-2pc.heartbeat-interval (PT1S)"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
