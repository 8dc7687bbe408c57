package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** quarkus.transaction-manager.node-name set to something else than quarkus.level-2pc.node-name stops startup: presumed-abort recovery keys on Narayana's node name. */
public class TransactionManagerNodeNameMismatchFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TransactionManagerNodeNameMismatchFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.node-name", "alpha")
            .overrideConfigKey("quarkus.transaction-manager.node-name", "beta")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.transaction-manager.node-name='beta'")
                    .contains("quarkus.level-2pc.node-name='alpha'"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
