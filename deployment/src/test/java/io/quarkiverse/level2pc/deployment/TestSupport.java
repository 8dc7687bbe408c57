package io.quarkiverse.level2pc.deployment;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Helpers shared by the deployment tests. */
final class TestSupport {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestSupport() {
    }

    /**
     * A data directory of its own for one test application: LevelDB locks its directory, and a store
     * left by an earlier run would leak data into the test. Unique per class and per run.
     */
    static String freshDataDir(Class<?> testClass) {
        return Path.of("target", "level2pc-test-data",
                testClass.getSimpleName() + "-" + System.currentTimeMillis() + "-" + COUNTER.incrementAndGet())
                .toAbsolutePath().toString();
    }

    /** Every class name and message in {@code t}, its causes and suppressed exceptions, one per line. */
    static String describeChain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>();
        todo.add(t);
        while (!todo.isEmpty()) {
            Throwable x = todo.poll();
            if (x == null || !seen.add(x)) {
                continue;
            }
            sb.append(x.getClass().getName()).append(": ").append(x.getMessage()).append('\n');
            todo.add(x.getCause());
            Collections.addAll(todo, x.getSuppressed());
        }
        return sb.toString();
    }
}
