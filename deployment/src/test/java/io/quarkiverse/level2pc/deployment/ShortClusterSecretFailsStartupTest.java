package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** A cluster secret shorter than 16 characters stops startup (and is not echoed in the message). */
public class ShortClusterSecretFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ShortClusterSecretFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "tooShortSecret")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.cluster-secret")
                    .contains("at least 16")
                    .doesNotContain("tooShortSecret"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
