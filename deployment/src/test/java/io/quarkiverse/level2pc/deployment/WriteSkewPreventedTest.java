package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Write skew: the invariant is "at least one of x, y is on call". T1 reads x and y and takes x off; T2
 * reads x and y and takes y off. Under snapshot isolation both would commit and break the invariant;
 * here both read before either commits and only one commits (the other fails with a conflict), so the
 * invariant holds. Transactions run through {@code QuarkusTransaction.requiringNew()}.
 */
public class WriteSkewPreventedTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(WriteSkewPreventedTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;

    @Test
    void atMostOneOfTwoSkewedTransactionsCommits() throws Exception {
        db.put("x", "on");
        db.put("y", "on");
        CountDownLatch bothRead = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (String mine : List.of("x", "y")) {
                results.add(pool.submit(() -> QuarkusTransaction.requiringNew().run(() -> {
                    boolean bothOn = "on".equals(db.get("x")) && "on".equals(db.get("y"));
                    bothRead.countDown();
                    try {
                        if (!bothRead.await(10, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the other transaction never read");
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    if (bothOn) {
                        db.put(mine, "off");
                    }
                })));
            }
            List<Throwable> failures = TestSupport.outcomes(results);

            assertThat(failures).as("exactly one of the two transactions must fail").hasSize(1);
            assertThat(ConflictException.find(failures.get(0))).as(TestSupport.describeChain(failures.get(0))).isNotNull();
        } finally {
            pool.shutdownNow();
        }
        List<String> values = List.of(db.get("x"), db.get("y"));
        assertThat(values).as("the invariant: at least one stays on").contains("on");
        assertThat(values).as("and the committed transaction did take its key off").contains("off");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
