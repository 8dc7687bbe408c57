package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.inject.Inject;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A scan inside a transaction merges committed entries with the transaction's own uncommitted writes
 * and deletes, in key order and within the range; a scan outside the transaction (the transaction
 * suspended) sees only committed data; after commit everyone sees the merged result.
 */
public class ScanMergesOwnWritesTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ScanMergesOwnWritesTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    @Database("orders")
    ReplicatedDB orders;
    @Inject
    TransactionManager tm;

    @Test
    void scanSeesOwnWritesInsideAndOnlyCommittedDataOutside() throws Exception {
        db.batch(b -> b.put("a", "1").put("b", "2").put("c", "3").put("e", "5").put("g", "7"));

        tm.begin();
        db.put("b", "20"); // overwrite
        db.delete("c"); // delete a committed key
        db.put("d", "4"); // new key between committed ones
        db.put("0", "0"); // new key before every committed one
        db.put("f", "6");
        db.delete("f"); // written then deleted: never visible
        db.put("h", "8"); // outside the range [a, g)
        db.delete("x"); // deleting an absent key

        assertThat(scan(Range.between("a", "g"))).containsExactly("a=1", "b=20", "d=4", "e=5");
        assertThat(scan(Range.all())).containsExactly("0=0", "a=1", "b=20", "d=4", "e=5", "g=7", "h=8");
        assertThat(stream(Range.between("c", "e"))).containsExactly("d=4");
        assertThat(scan(Range.between("c", "d"))).isEmpty();

        Transaction tx = tm.suspend();
        try {
            assertThat(scan(Range.all())).containsExactly("a=1", "b=2", "c=3", "e=5", "g=7");
        } finally {
            tm.resume(tx);
        }
        tm.commit();

        assertThat(scan(Range.all())).containsExactly("0=0", "a=1", "b=20", "d=4", "e=5", "g=7", "h=8");
    }

    @Test
    void aScanOutsideIsOneSnapshot() {
        db.batch(b -> b.put("s:1", "old").put("s:2", "old"));
        try (KeyValueIterator it = db.scan(Range.prefix("s:"))) {
            assertThat(it.hasNext()).isTrue();
            // a commit touching both keys after the scan started is not seen half-way
            db.batch(b -> b.put("s:1", "new").put("s:2", "new"));
            List<String> seen = new ArrayList<>();
            it.forEachRemaining(kv -> seen.add(kv.keyAsString() + "=" + kv.valueAsString()));
            assertThat(seen).containsExactly("s:1=old", "s:2=old");
        }
        assertThat(scan(Range.prefix("s:"))).containsExactly("s:1=new", "s:2=new");
    }

    /** The overlay of a transaction spanning two databases stays within each database's scans. */
    @Test
    void ownWritesOfAnotherDatabaseDoNotShowUp() throws Exception {
        orders.put("o:committed", "1");
        tm.begin();
        db.put("o:default", "d");
        orders.put("o:new", "2");
        assertThat(scan(Range.prefix("o:"))).containsExactly("o:default=d");
        assertThat(scan(orders, Range.all())).containsExactly("o:committed=1", "o:new=2");
        tm.commit();
        assertThat(scan(orders, Range.prefix("o:"))).containsExactly("o:committed=1", "o:new=2");
        assertThat(scan(Range.prefix("o:"))).containsExactly("o:default=d");
    }

    private List<String> scan(Range range) {
        return scan(db, range);
    }

    private static List<String> scan(ReplicatedDB db, Range range) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator it = db.scan(range)) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                out.add(kv.keyAsString() + "=" + kv.valueAsString());
            }
        }
        return out;
    }

    private List<String> stream(Range range) {
        try (Stream<KeyValue> s = db.stream(range)) {
            return s.map(kv -> kv.keyAsString() + "=" + kv.valueAsString()).collect(Collectors.toList());
        }
    }
}
