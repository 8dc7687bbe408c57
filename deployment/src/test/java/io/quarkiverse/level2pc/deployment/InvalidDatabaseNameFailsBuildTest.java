package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;

/** {@code @Database("bad name!")} fails the build, naming the offending name and the injection point. */
public class InvalidDatabaseNameFailsBuildTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, BadBean.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(InvalidDatabaseNameFailsBuildTest.class))
            .assertException(t -> assertThat(TestSupport.describeChain(t))
                    .contains("@Database(\"bad name!\")")
                    .contains("is not a valid database name")
                    .contains("BadBean"));

    @Singleton
    public static class BadBean {
        @Inject
        @Database("bad name!")
        ReplicatedDB db;
    }

    @Test
    void buildFails() {
        Assertions.fail("the build should have failed");
    }
}
