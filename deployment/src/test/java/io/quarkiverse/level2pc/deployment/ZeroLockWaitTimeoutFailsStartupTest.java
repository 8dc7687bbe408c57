package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** A lock wait timeout of zero stops startup, naming the property. */
public class ZeroLockWaitTimeoutFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ZeroLockWaitTimeoutFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "0s")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.lock-wait-timeout")
                    .contains("must be positive"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
