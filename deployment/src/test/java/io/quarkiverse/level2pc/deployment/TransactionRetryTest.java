package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;

/**
 * {@code db.transaction(work)}: runs the work in a transaction of its own; a conflict at commit runs it again with
 * fresh reads (the increment is not lost), a failure that is not retryable is thrown at once, a conflict every time
 * gives up after at most 10 attempts, and a caller that already has a transaction is refused.
 */
public class TransactionRetryTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, Outer.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TransactionRetryTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Outer outer;

    @ApplicationScoped
    static class Outer {
        @Inject
        ReplicatedDB db;

        @Transactional
        void nested() {
            db.transaction(() -> db.put("never", "x"));
        }
    }

    /** A write of {@code key} by another thread, outside the caller's transaction. */
    private void interfere(String key, String value) throws Exception {
        CompletableFuture.runAsync(() -> db.put(key, value)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aConflictRunsTheWorkAgainWithFreshReads() {
        db.put("counter", "10");
        AtomicInteger attempts = new AtomicInteger();
        String result = db.transaction(() -> {
            long n = Long.parseLong(db.get("counter"));
            if (attempts.incrementAndGet() == 1) {
                try {
                    interfere("counter", "100"); // changes what this attempt read: its commit conflicts
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            db.put("counter", String.valueOf(n + 1));
            return "done after " + attempts.get();
        });
        assertThat(result).isEqualTo("done after 2");
        assertThat(db.get("counter")).as("the retry read 100, not the stale 10").isEqualTo("101");
    }

    @Test
    void aFailureThatIsNotRetryableIsThrownAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> db.transaction(() -> {
            attempts.incrementAndGet();
            db.put("rolled-back", "x");
            throw new IllegalArgumentException("no such account");
        })).hasMessageContaining("no such account");
        assertThat(attempts).hasValue(1);
        assertThat(db.get("rolled-back")).as("its write rolled back").isNull();
    }

    @Test
    void aConflictEveryTimeGivesUpAfterTenAttempts() {
        db.put("hot", "0");
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> db.transaction(() -> {
            attempts.incrementAndGet();
            db.get("hot");
            try {
                interfere("hot", "again " + attempts.get());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            db.put("hot", "mine");
        })).satisfies(e -> assertThat(ConflictException.find(e)).isNotNull());
        assertThat(attempts.get()).isBetween(2, 10);
        assertThat(db.get("hot")).startsWith("again");
    }

    @Test
    void insideATransactionItIsRefused() {
        assertThatThrownBy(outer::nested).isInstanceOf(IllegalStateException.class).hasMessageContaining("already has a JTA transaction");
        assertThat(db.get("never")).isNull();
    }
}
