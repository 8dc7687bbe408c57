package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** An invalid name in {@code quarkus.level-2pc.databases} fails the build, naming the property and the name. */
public class InvalidConfiguredDatabaseNameFailsBuildTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.databases", "good,-starts-with-dash")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(InvalidConfiguredDatabaseNameFailsBuildTest.class))
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("quarkus.level-2pc.databases contains '-starts-with-dash'")
                    .doesNotContain("'good'"));

    @Test
    void buildFails() {
        Assertions.fail("the build should have failed");
    }
}
