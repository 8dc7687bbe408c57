package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import jakarta.inject.Inject;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A transaction that times out is rolled back by Narayana's reaper on another thread: its buffered
 * writes are dropped, further work in it is refused, and its commit fails.
 */
public class TimedOutTransactionLeavesNothingTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TimedOutTransactionLeavesNothingTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;

    @Test
    void theReaperRollsItBack() throws Exception {
        db.put("t:keep", "kept");
        tm.setTransactionTimeout(1);
        try {
            tm.begin();
        } finally {
            tm.setTransactionTimeout(0);
        }
        db.put("t:a", "x");
        db.delete("t:keep");

        Transaction tx = tm.getTransaction();
        // (Awaitility polls on a thread of its own: ask the Transaction, not the thread-bound manager)
        await().atMost(Duration.ofSeconds(30)).until(() -> tx.getStatus() == Status.STATUS_ROLLEDBACK);

        assertThatThrownBy(() -> db.put("t:b", "y")).isInstanceOf(Level2pcException.class)
                .hasMessageContaining("rolled back");
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);
        assertThat(db.get("t:a")).isNull();
        assertThat(db.get("t:b")).isNull();
        assertThat(db.get("t:keep")).isEqualTo("kept");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
