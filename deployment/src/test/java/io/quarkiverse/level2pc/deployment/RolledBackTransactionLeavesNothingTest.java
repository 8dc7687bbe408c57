package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.transaction.UserTransaction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A transaction that rolls back (exception out of {@code @Transactional}, {@code setRollbackOnly},
 * explicit rollback) leaves none of its writes or deletes behind, and a transaction marked for rollback
 * refuses further work instead of silently dropping it.
 */
public class RolledBackTransactionLeavesNothingTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, Writer.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(RolledBackTransactionLeavesNothingTest.class));

    public static class Boom extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    @ApplicationScoped
    public static class Writer {
        @Inject
        ReplicatedDB db;

        @Transactional
        public void writeThenThrow(String prefix) {
            db.put(prefix + "a", "x");
            db.delete(prefix + "keep");
            db.batch(b -> b.put(prefix + "b", "y").put(prefix + "c", "z"));
            throw new Boom();
        }

        /** Writes, marks the transaction rollback-only, then tries to write once more. */
        @Transactional
        public Throwable writeThenSetRollbackOnly(String prefix) {
            db.put(prefix + "a", "x");
            db.delete(prefix + "keep");
            QuarkusTransaction.setRollbackOnly();
            try {
                db.put(prefix + "late", "x");
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        }
    }

    @Inject
    ReplicatedDB db;
    @Inject
    Writer writer;
    @Inject
    UserTransaction ut;
    @Inject
    Level2pcNode node;

    @Test
    void exceptionOutOfTransactionalMethod() {
        db.put("e:keep", "kept");
        assertThatThrownBy(() -> writer.writeThenThrow("e:")).isInstanceOf(Boom.class);
        assertNothingLeft("e:");
    }

    @Test
    void setRollbackOnly() {
        db.put("s:keep", "kept");
        Throwable late = writer.writeThenSetRollbackOnly("s:");
        assertThat(late).isInstanceOf(Level2pcException.class).hasMessageContaining("marked for rollback");
        assertNothingLeft("s:");
        assertThat(db.get("s:late")).isNull();
    }

    @Test
    void explicitRollback() throws Exception {
        db.put("u:keep", "kept");
        ut.begin();
        db.put("u:a", "x");
        db.delete("u:keep");
        db.batch(b -> b.put("u:b", "y").put("u:c", "z"));
        assertThat(db.get("u:a")).isEqualTo("x");
        ut.rollback();
        assertNothingLeft("u:");
    }

    private void assertNothingLeft(String prefix) {
        assertThat(db.get(prefix + "a")).isNull();
        assertThat(db.get(prefix + "b")).isNull();
        assertThat(db.get(prefix + "c")).isNull();
        assertThat(db.get(prefix + "keep")).isEqualTo("kept");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
        // nothing is locked either: a new write to the same keys goes through at once
        db.put(prefix + "a", "later");
        assertThat(db.get(prefix + "a")).isEqualTo("later");
    }
}
