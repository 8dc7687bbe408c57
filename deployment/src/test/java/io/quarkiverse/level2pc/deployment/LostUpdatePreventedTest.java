package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Transactional;
import jakarta.transaction.UserTransaction;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Two transactions both read a counter and both write it back incremented; both read before either
 * commits. Exactly one commits, the other fails with a conflict that {@link ConflictException#find}
 * digs out, and the counter ends at 1 (no lost update). Once with {@code UserTransaction}, once with
 * {@code @Transactional}.
 */
public class LostUpdatePreventedTest {

    private static final Logger LOG = Logger.getLogger(LostUpdatePreventedTest.class);

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, Counter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(LostUpdatePreventedTest.class))
            .setLogRecordPredicate(r -> r.getLoggerName() != null && r.getLoggerName().startsWith("com.arjuna"))
            // A conflict is the application's to handle (RollbackException): no Narayana warning with a stack for it.
            .assertLogRecords(records -> assertThat(records)
                    .noneMatch(r -> r.getMessage() != null && r.getMessage().contains("ARJUNA016039")));

    @ApplicationScoped
    public static class Counter {
        @Inject
        ReplicatedDB db;

        @Transactional
        public void increment(String key, CountDownLatch bothRead) throws InterruptedException {
            int value = Integer.parseInt(db.get(key));
            bothRead.countDown();
            if (!bothRead.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other transaction never read");
            }
            db.put(key, String.valueOf(value + 1));
        }
    }

    @Inject
    ReplicatedDB db;
    @Inject
    UserTransaction ut;
    @Inject
    Counter counter;
    @Inject
    Level2pcNode node;

    private ExecutorService pool;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void withUserTransaction() throws Exception {
        db.put("ut", "0");
        CountDownLatch bothRead = new CountDownLatch(2);
        List<Future<?>> results = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            results.add(pool.submit(() -> {
                ut.begin();
                try {
                    int value = Integer.parseInt(db.get("ut"));
                    bothRead.countDown();
                    if (!bothRead.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the other transaction never read");
                    }
                    db.put("ut", String.valueOf(value + 1));
                } catch (RuntimeException | InterruptedException e) {
                    ut.rollback();
                    throw e;
                }
                ut.commit();
                return null;
            }));
        }
        List<Throwable> failures = TestSupport.outcomes(results);

        assertThat(failures).hasSize(1);
        Throwable failure = failures.get(0);
        LOG.infof("UserTransaction conflict surfaced as:%n%s (cause %s, suppressed %s)", TestSupport.describeChain(failure),
                failure.getCause(), Arrays.toString(failure.getSuppressed()));
        assertThat(failure).isInstanceOf(RollbackException.class);
        assertThat(ConflictException.find(failure)).as(TestSupport.describeChain(failure)).isNotNull();
        assertThat(db.get("ut")).isEqualTo("1");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }

    @Test
    void withTransactionalMethods() throws Exception {
        db.put("tx", "0");
        CountDownLatch bothRead = new CountDownLatch(2);
        List<Future<?>> results = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            results.add(pool.submit(() -> {
                counter.increment("tx", bothRead);
                return null;
            }));
        }
        List<Throwable> failures = TestSupport.outcomes(results);

        assertThat(failures).hasSize(1);
        Throwable failure = failures.get(0);
        LOG.infof("@Transactional conflict surfaced as:%n%s (cause %s, suppressed %s)", TestSupport.describeChain(failure),
                failure.getCause(), Arrays.toString(failure.getSuppressed()));
        assertThat(ConflictException.find(failure)).as(TestSupport.describeChain(failure)).isNotNull();
        assertThat(db.get("tx")).isEqualTo("1");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
