package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Scans with a direction, a limit and a start key (pagination that visits every key once, forwards and in reverse,
 * own uncommitted writes included), counts, and range deletes that are atomic inside and outside a transaction.
 */
public class ScanOptionsTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ScanOptionsTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;

    private List<String> keys(Range range, Scan scan) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator it = db.scan(range, scan)) {
            it.forEachRemaining(kv -> keys.add(kv.keyAsString()));
        }
        return keys;
    }

    @Test
    void limitReverseAndAfter() {
        db.batch(b -> b.put("p:a", "1").put("p:b", "2").put("p:c", "3").put("p:d", "4").put("q:a", "x").put("p", "y"));
        Range p = Range.prefix("p:");
        assertThat(keys(p, Scan.forward())).containsExactly("p:a", "p:b", "p:c", "p:d");
        assertThat(keys(p, Scan.forward().limit(2))).containsExactly("p:a", "p:b");
        assertThat(keys(p, Scan.reverse())).containsExactly("p:d", "p:c", "p:b", "p:a");
        assertThat(keys(p, Scan.reverse().limit(3))).containsExactly("p:d", "p:c", "p:b");
        assertThat(keys(p, Scan.forward().after("p:b"))).containsExactly("p:c", "p:d");
        assertThat(keys(p, Scan.reverse().after("p:c"))).containsExactly("p:b", "p:a");
        assertThat(keys(p, Scan.forward().after("p:a\0"))).as("after a key that is absent").containsExactly("p:b", "p:c", "p:d");
        assertThat(keys(p, Scan.forward().after("a"))).as("after a key before the range").hasSize(4);
        assertThat(keys(p, Scan.forward().after("z"))).as("after a key beyond the range").isEmpty();
        assertThat(keys(p, Scan.reverse().after("a"))).as("before a key before the range").isEmpty();
        assertThat(keys(Range.between("p:b", "p:d"), Scan.reverse())).containsExactly("p:c", "p:b");
        assertThat(db.count(p)).isEqualTo(4);
        assertThat(db.count(Range.prefix("none:"))).isZero();
        assertThat(db.stream(p, Scan.reverse().limit(1)).map(KeyValue::valueAsString).collect(Collectors.toList()))
                .containsExactly("4");
        assertThatThrownBy(() -> Scan.forward().limit(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit must be at least 1");
    }

    @Test
    void pagesVisitEveryKeyOnceInBothDirections() {
        db.batch(b -> {
            for (int i = 0; i < 57; i++) {
                b.put(String.format("page:%03d", i), "v" + i);
            }
        });
        for (boolean reverse : new boolean[] { false, true }) {
            List<String> seen = new ArrayList<>();
            String after = null;
            while (true) {
                Scan s = (reverse ? Scan.reverse() : Scan.forward()).limit(10);
                List<String> page = keys(Range.prefix("page:"), after == null ? s : s.after(after));
                if (page.isEmpty()) {
                    break;
                }
                seen.addAll(page);
                after = page.get(page.size() - 1);
            }
            assertThat(seen).hasSize(57).doesNotHaveDuplicates();
            assertThat(seen).isSortedAccordingTo(reverse ? java.util.Comparator.reverseOrder() : java.util.Comparator.naturalOrder());
        }
    }

    @Test
    void scansCarryVersions() {
        db.put("ver:a", "1");
        try (KeyValueIterator it = db.scan(Range.prefix("ver:"))) {
            assertThat(it.next().version()).isEqualTo(db.getVersioned("ver:a").version());
        }
    }

    @Test
    void ownWritesAreInTheLimitedAndReversedScansOfATransaction() throws Exception {
        db.batch(b -> b.put("own:b", "2").put("own:d", "4"));
        tm.begin();
        try {
            db.put("own:a", "1");
            db.put("own:c", "3");
            db.delete("own:d");
            assertThat(keys(Range.prefix("own:"), Scan.reverse().limit(2))).containsExactly("own:c", "own:b");
            assertThat(keys(Range.prefix("own:"), Scan.forward().after("own:a").limit(1))).containsExactly("own:b");
            assertThat(db.count(Range.prefix("own:"))).isEqualTo(3);
        } finally {
            tm.rollback();
        }
    }

    @Test
    void deleteRangeDeletesEveryKeyOfTheRangeAndNothingElse() {
        db.batch(b -> b.put("dr:1", "a").put("dr:2", "b").put("dr:3", "c").put("dr", "outside").put("ds:1", "outside"));
        assertThat(db.deleteRange(Range.prefix("dr:"))).isEqualTo(3);
        assertThat(db.count(Range.prefix("dr:"))).isZero();
        assertThat(db.get("dr")).isEqualTo("outside");
        assertThat(db.get("ds:1")).isEqualTo("outside");
        assertThat(db.deleteRange(Range.prefix("dr:"))).as("nothing left to delete").isZero();
    }

    @Test
    void deleteRangeInATransactionIsPartOfIt() throws Exception {
        db.batch(b -> b.put("tdr:1", "a").put("tdr:2", "b"));
        tm.begin();
        db.put("tdr:3", "own");
        assertThat(db.deleteRange(Range.prefix("tdr:"))).isEqualTo(3);
        assertThat(db.count(Range.prefix("tdr:"))).isZero();
        tm.rollback();
        assertThat(db.count(Range.prefix("tdr:"))).as("rolled back: all of it undone").isEqualTo(2);

        tm.begin();
        db.deleteRange(Range.prefix("tdr:"));
        tm.commit();
        assertThat(db.count(Range.prefix("tdr:"))).isZero();
    }
}
