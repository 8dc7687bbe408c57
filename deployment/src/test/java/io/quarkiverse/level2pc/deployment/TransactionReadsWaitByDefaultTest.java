package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import jakarta.inject.Inject;
import jakarta.transaction.UserTransaction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * By default ({@code transaction-reads=wait}) a {@code get} inside a transaction of a key held by a prepared branch
 * waits for it like a read outside a transaction: it fails with {@link LockWaitTimeoutException} after
 * {@code lock-wait-timeout} while the holder stays prepared, and reads the holder's value once it committed.
 */
public class TransactionReadsWaitByDefaultTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "500ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TransactionReadsWaitByDefaultTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    UserTransaction ut;
    @Inject
    Level2pcNode node;

    @Test
    void aReadInsideATransactionWaitsForThePreparedHolder() throws Exception {
        db.put("k", "old");
        LocalNode local = node.nodeIfOpen().local();
        BranchId holder = TestSupport.prepareForeignWrite(local, "holder", "k", "new");

        ut.begin();
        try {
            assertThatThrownBy(() -> db.get("k")).isInstanceOf(LockWaitTimeoutException.class);
        } finally {
            ut.rollback();
        }
        assertThat(local.commit(holder).join()).isEqualTo(Completion.DONE);

        ut.begin();
        try {
            assertThat(db.get("k")).isEqualTo("new");
            db.put("k", "mine");
        } catch (RuntimeException | Error e) {
            ut.rollback();
            throw e;
        }
        ut.commit();
        assertThat(db.get("k")).isEqualTo("mine");
    }
}
