package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** A node name outside [A-Za-z0-9._-] stops startup, naming the property. */
public class NodeNameWithIllegalCharactersFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(NodeNameWithIllegalCharactersFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.node-name", "node/1")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.node-name='node/1'")
                    .contains("may only contain"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
