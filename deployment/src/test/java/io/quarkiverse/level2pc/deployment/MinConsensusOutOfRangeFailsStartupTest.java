package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** min-consensus must lie between 0 and the number of peers (0 here). */
public class MinConsensusOutOfRangeFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(MinConsensusOutOfRangeFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.min-consensus", "1")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("Invalid level-2pc configuration")
                    .contains("quarkus.level-2pc.min-consensus=1")
                    .contains("between 0 and the number of peers (0)"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
