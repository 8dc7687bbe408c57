package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import jakarta.inject.Inject;
import jakarta.transaction.RollbackException;
import jakarta.transaction.UserTransaction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * {@code transaction-reads=no-wait}: inside a transaction, a {@code get} of a key held by a prepared branch
 * returns the last committed value at once (a read that waited would fail with {@code LockWaitTimeoutException}
 * after {@code lock-wait-timeout}, as the holder finishes only after it), and the commit validates it: the transaction commits if the
 * holder rolled back, and fails with a conflict, writing nothing, if the holder committed. Outside a transaction
 * a read still waits, and fails after {@code lock-wait-timeout} rather than return the old value.
 */
public class TransactionReadsNoWaitTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.transaction-reads", "no-wait")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "500ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TransactionReadsNoWaitTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    UserTransaction ut;
    @Inject
    Level2pcNode node;

    @Test
    void holderCommitsSoTheTransactionThatReadTheOldValueConflicts() throws Exception {
        db.put("a", "old");
        BranchId holder = prepareWrite("holder-commits", "a", "new");

        inTransaction(() -> {
            assertThat(db.get("a")).isEqualTo("old");
            db.put("copy-a", "old");
        });
        assertThat(local().commit(holder).join()).isEqualTo(Completion.DONE);
        assertThatThrownBy(ut::commit).isInstanceOf(RollbackException.class)
                .satisfies(e -> assertThat(ConflictException.find(e)).isNotNull());

        assertThat(db.get("a")).isEqualTo("new");
        assertThat(db.get("copy-a")).isNull();
        assertThat(local().prepared()).isEmpty();
    }

    @Test
    void holderRollsBackSoTheTransactionCommits() throws Exception {
        db.put("b", "old");
        BranchId holder = prepareWrite("holder-rolls-back", "b", "new");

        inTransaction(() -> {
            assertThat(db.get("b")).isEqualTo("old");
            db.put("b", "mine");
        });
        assertThat(local().rollback(holder).join()).isEqualTo(Completion.DONE);
        ut.commit();

        assertThat(db.get("b")).isEqualTo("mine");
        assertThat(local().prepared()).isEmpty();
    }

    @Test
    void readOnlyTransactionThatReadTheOldValueConflictsOnceTheHolderCommitted() throws Exception {
        db.put("c", "old");
        BranchId holder = prepareWrite("holder-of-read-only", "c", "new");

        inTransaction(() -> assertThat(db.get("c")).isEqualTo("old"));
        assertThat(local().commit(holder).join()).isEqualTo(Completion.DONE);
        assertThatThrownBy(ut::commit).isInstanceOf(RollbackException.class)
                .satisfies(e -> assertThat(ConflictException.find(e)).isNotNull());
        assertThat(db.get("c")).isEqualTo("new");
    }

    @Test
    void readOutsideATransactionStillWaitsForTheHolder() throws Exception {
        db.put("d", "old");
        BranchId holder = prepareWrite("holder-of-plain-read", "d", "new");

        assertThatThrownBy(() -> db.get("d")).isInstanceOf(LockWaitTimeoutException.class);
        assertThat(local().commit(holder).join()).isEqualTo(Completion.DONE);
        assertThat(db.get("d")).isEqualTo("new");
    }

    private BranchId prepareWrite(String gtrid, String key, String value) {
        return TestSupport.prepareForeignWrite(local(), gtrid, key, value);
    }

    /** Begins a transaction and runs {@code body} in it, rolling it back if the body fails. */
    private void inTransaction(ThrowingRunnable body) throws Exception {
        ut.begin();
        try {
            body.run();
        } catch (Exception | Error e) {
            ut.rollback();
            throw e;
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private LocalNode local() {
        return node.nodeIfOpen().local();
    }
}
