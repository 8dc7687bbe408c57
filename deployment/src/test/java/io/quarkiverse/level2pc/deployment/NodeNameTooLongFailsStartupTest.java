package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** A node name longer than Narayana's 28 bytes stops startup, naming the property. */
public class NodeNameTooLongFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(NodeNameTooLongFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.node-name", "n234567890123456789012345678x")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.node-name='n234567890123456789012345678x'")
                    .contains("29 bytes"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
