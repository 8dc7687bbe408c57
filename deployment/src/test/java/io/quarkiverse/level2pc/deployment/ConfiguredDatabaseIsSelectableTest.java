package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A database listed in {@code quarkus.level-2pc.databases} (no injection point anywhere) gets a bean that
 * programmatic lookup resolves; an unlisted name does not.
 */
public class ConfiguredDatabaseIsSelectableTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.databases", "extra,more")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ConfiguredDatabaseIsSelectableTest.class));

    @Test
    void configuredNamesAreResolvable() {
        InjectableInstance<ReplicatedDB> extra = Arc.container().select(ReplicatedDB.class, Database.Literal.of("extra"));
        assertThat(extra.isResolvable()).isTrue();
        ReplicatedDB db = extra.get();
        assertThat(db.name()).isEqualTo("extra");
        assertThat(Arc.container().select(ReplicatedDB.class, Database.Literal.of("more")).get().name()).isEqualTo("more");

        db.put("k", "v");
        assertThat(db.get("k")).isEqualTo("v");
        assertThat(Arc.container().select(ReplicatedDB.class).get().get("k")).isNull();
    }

    @Test
    void unknownNamesAreNot() {
        assertThat(Arc.container().select(ReplicatedDB.class, Database.Literal.of("nope")).isResolvable()).isFalse();
    }
}
