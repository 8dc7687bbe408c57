package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Outside any transaction a put is a transaction of its own. Blind puts (no read) to one hot key from 8
 * threads at once never fail: a put that meets a lock waits for it and retries. The final value is one
 * of the written ones, and nothing stays prepared.
 */
public class StandaloneBlindWritesWaitForLocksTest {

    private static final int THREADS = 8;
    private static final int PUTS_PER_THREAD = 25;

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(StandaloneBlindWritesWaitForLocksTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;

    @Test
    void aStandalonePutWorks() {
        db.put("single", "v");
        assertThat(db.get("single")).isEqualTo("v");
    }

    @Test
    void concurrentBlindPutsToOneKeyAllSucceed() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        Set<String> written = new HashSet<>();
        List<Future<?>> results = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                for (int i = 0; i < PUTS_PER_THREAD; i++) {
                    written.add("t" + thread + "-" + i);
                }
                results.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < PUTS_PER_THREAD; i++) {
                        db.put("hot", "t" + thread + "-" + i);
                    }
                    return null;
                }));
            }
            go.countDown();
            List<Throwable> failures = TestSupport.outcomes(results);
            assertThat(failures).as(() -> failures.isEmpty() ? "" : TestSupport.describeChain(failures.get(0))).isEmpty();
        } finally {
            pool.shutdownNow();
        }
        assertThat(written).contains(db.get("hot"));
        // every thread's last put is one of the candidates for the final value
        assertThat(db.get("hot")).endsWith("-" + (PUTS_PER_THREAD - 1));
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
