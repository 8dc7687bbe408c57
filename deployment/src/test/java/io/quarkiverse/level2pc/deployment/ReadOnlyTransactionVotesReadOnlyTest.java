package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.Transactional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A transaction that only reads commits without writing anything. Next to a second XA resource, our
 * branch votes {@code XA_RDONLY}: Narayana then skips the second resource's prepare and commits it in
 * one phase (it would prepare it if our vote had been XA_OK), and nothing is ever prepared here.
 */
public class ReadOnlyTransactionVotesReadOnlyTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, RecordingXAResource.class, Reader.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ReadOnlyTransactionVotesReadOnlyTest.class));

    @ApplicationScoped
    public static class Reader {
        @Inject
        ReplicatedDB db;

        @Transactional
        public String readTwoKeysAndScan() {
            StringBuilder sb = new StringBuilder(db.get("r1") + "," + db.get("r2") + "," + db.get("absent"));
            try (KeyValueIterator it = db.scan(Range.prefix("r"))) {
                it.forEachRemaining(kv -> sb.append(',').append(kv.keyAsString()));
            }
            return sb.toString();
        }
    }

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;
    @Inject
    Reader reader;

    @Test
    void aTransactionalMethodThatOnlyReadsCommits() {
        db.put("r1", "one");
        db.put("r2", "two");
        assertThat(reader.readTwoKeysAndScan()).isEqualTo("one,two,null,r1,r2");
        assertThat(db.get("r1")).isEqualTo("one");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }

    @Test
    void ourBranchVotesReadOnlyInTwoPhaseCommit() throws Exception {
        db.put("r", "value");
        RecordingXAResource other = new RecordingXAResource();
        List<BranchId> preparedHere = new CopyOnWriteArrayList<>();
        other.onPrepare = xid -> preparedHere.addAll(node.nodeIfOpen().local().prepared());
        other.onCommit = xid -> preparedHere.addAll(node.nodeIfOpen().local().prepared());

        tm.begin();
        assertThat(db.get("r")).isEqualTo("value");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        tm.commit();

        // Our branch (enlisted first) was asked to prepare and answered XA_RDONLY: only then does
        // Narayana's dynamic one-phase optimisation commit the last resource without preparing it.
        assertThat(other.calls).containsExactly("start", "end", "commit(onePhase=true)");
        assertThat(preparedHere).isEmpty();
        assertThat(db.get("r")).isEqualTo("value");
    }
}
