package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import jakarta.inject.Inject;
import jakarta.transaction.RollbackException;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.arjuna.ats.arjuna.common.arjPropertyManager;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Narayana cannot write its transaction log (the log of a two-phase commit with a second XA resource,
 * the only kind it logs): a real I/O failure, made by putting a regular file where its store keeps the
 * directory of transaction records, so that creating a record fails in the file system. Narayana then
 * has no durable decision, and must roll back: our branch, prepared durably with its lock, is rolled
 * back, the other resource too, the value is unchanged, nothing stays prepared or locked; once the
 * store works again, the same write commits.
 */
public class NarayanaLogWriteFailureTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, RecordingXAResource.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(NarayanaLogWriteFailureTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;

    @Test
    void aTransactionWhoseLogCannotBeWrittenRollsBackEveryBranch() throws Exception {
        db.put("k", "old");
        twoResourceWrite("k", "first", new RecordingXAResource()); // a logged transaction: the store's directories exist
        assertThat(db.get("k")).isEqualTo("first");
        Path records = atomicActionDirectory();

        // The directory of transaction records becomes a regular file: writing a record fails (ENOTDIR).
        try (Stream<Path> left = Files.list(records)) {
            assertThat(left).as("records left in %s after a committed transaction", records).isEmpty();
        }
        Files.delete(records);
        Files.writeString(records, "not a directory");
        try {
            RecordingXAResource other = new RecordingXAResource();
            assertThatThrownBy(() -> twoResourceWrite("k", "second", other))
                    .as("commit without a durable decision").isInstanceOf(RollbackException.class);
            assertThat(other.calls).as("the other resource").contains("prepare", "rollback").doesNotContain("commit(onePhase=false)");
            assertThat(db.get("k")).as("our branch rolled back").isEqualTo("first");
            assertThat(node.nodeIfOpen().local().prepared()).as("branches left prepared").isEmpty();
        } finally {
            Files.delete(records);
            Files.createDirectories(records);
        }

        // Nothing stuck: the key is not locked, and a transaction commits once the log can be written.
        RecordingXAResource again = new RecordingXAResource();
        twoResourceWrite("k", "third", again);
        assertThat(again.calls).contains("commit(onePhase=false)");
        assertThat(db.get("k")).isEqualTo("third");
    }

    private void twoResourceWrite(String key, String value, RecordingXAResource other) throws Exception {
        tm.begin();
        db.put(key, value);
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        tm.commit();
    }

    /** Where Narayana's object store keeps the records of JTA transactions ({@code .../AtomicAction}). */
    private static Path atomicActionDirectory() throws Exception {
        Path store = Path.of(arjPropertyManager.getObjectStoreEnvironmentBean().getObjectStoreDir());
        try (Stream<Path> all = Files.walk(store)) {
            List<Path> dirs = all.filter(Files::isDirectory).filter(p -> p.getFileName().toString().equals("AtomicAction")).toList();
            assertThat(dirs).as("AtomicAction directories under %s", store).hasSize(1);
            return dirs.get(0);
        }
    }
}
