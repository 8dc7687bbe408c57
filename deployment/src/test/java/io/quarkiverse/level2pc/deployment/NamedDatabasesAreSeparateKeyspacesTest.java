package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;

/**
 * {@code @Database("orders")} and {@code @Database("users")} are found from the injection points and are
 * keyspaces of their own: a key written in one is invisible in the others and scans never mix. Names are
 * chosen so that a naive prefix scheme would overlap ("orders" is a prefix of "orders2").
 */
public class NamedDatabasesAreSeparateKeyspacesTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(NamedDatabasesAreSeparateKeyspacesTest.class));

    @Inject
    ReplicatedDB defaultDb;
    @Inject
    @Database("orders")
    ReplicatedDB orders;
    @Inject
    @Database("orders2")
    ReplicatedDB orders2;
    @Inject
    @Database("users")
    ReplicatedDB users;

    @Test
    void eachQualifierGetsItsOwnDatabase() {
        assertThat(defaultDb.name()).isEqualTo("<default>");
        assertThat(orders.name()).isEqualTo("orders");
        assertThat(orders2.name()).isEqualTo("orders2");
        assertThat(users.name()).isEqualTo("users");
    }

    @Test
    void aPutInOneDatabaseIsInvisibleInTheOthers() {
        orders.put("k", "order");
        assertThat(orders.get("k")).isEqualTo("order");
        assertThat(defaultDb.get("k")).isNull();
        assertThat(users.get("k")).isNull();
        assertThat(orders2.get("k")).isNull();

        defaultDb.put("k", "default");
        users.put("k", "user");
        assertThat(orders.get("k")).isEqualTo("order");
        assertThat(defaultDb.get("k")).isEqualTo("default");
        assertThat(users.get("k")).isEqualTo("user");

        users.delete("k");
        assertThat(users.get("k")).isNull();
        assertThat(orders.get("k")).isEqualTo("order");
        assertThat(defaultDb.get("k")).isEqualTo("default");
    }

    @Test
    void scansDoNotMix() {
        defaultDb.put("s:1", "d1");
        defaultDb.put("s:2", "d2");
        orders.put("s:1", "o1");
        orders2.put("s:9", "o9");
        users.put("s:3", "u3");

        assertThat(entries(defaultDb, Range.prefix("s:"))).containsExactly("s:1=d1", "s:2=d2");
        assertThat(entries(orders, Range.prefix("s:"))).containsExactly("s:1=o1");
        assertThat(entries(orders2, Range.prefix("s:"))).containsExactly("s:9=o9");
        assertThat(entries(users, Range.prefix("s:"))).containsExactly("s:3=u3");
        // unbounded scans stay inside their database too
        assertThat(entries(orders, Range.all())).contains("s:1=o1").doesNotContain("s:1=d1", "s:2=d2", "s:9=o9", "s:3=u3");
        assertThat(entries(orders2, Range.all())).containsExactly("s:9=o9");
        assertThat(entries(users, Range.between(null, "t"))).containsExactly("s:3=u3");
    }

    static List<String> entries(ReplicatedDB db, Range range) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator it = db.scan(range)) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                out.add(kv.keyAsString() + "=" + kv.valueAsString());
            }
        }
        return out;
    }
}
