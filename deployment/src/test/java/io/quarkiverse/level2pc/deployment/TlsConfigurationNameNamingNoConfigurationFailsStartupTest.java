package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/**
 * {@code tls-configuration-name} naming no {@code quarkus.tls.<name>.*} configuration stops startup
 * instead of silently calling peers with the JDK's default trust.
 */
public class TlsConfigurationNameNamingNoConfigurationFailsStartupTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path",
                    TestSupport.freshDataDir(TlsConfigurationNameNamingNoConfigurationFailsStartupTest.class))
            .overrideConfigKey("quarkus.level-2pc.tls-configuration-name", "no-such-tls")
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("quarkus.level-2pc.tls-configuration-name=no-such-tls names no TLS configuration")
                    .contains("quarkus.tls.no-such-tls.*"));

    @Test
    void startupFails() {
        Assertions.fail("startup should have failed");
    }
}
