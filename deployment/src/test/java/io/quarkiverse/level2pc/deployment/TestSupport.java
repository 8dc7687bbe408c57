package io.quarkiverse.level2pc.deployment;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.storage.KeySpace;

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
            if (!seen.add(x)) {
                continue;
            }
            sb.append(x.getClass().getName()).append(": ").append(x.getMessage()).append('\n');
            if (x.getCause() != null) {
                todo.add(x.getCause());
            }
            Collections.addAll(todo, x.getSuppressed());
        }
        return sb.toString();
    }

    /** Waits for every task (30 s at most each); returns the failures, unwrapped from ExecutionException. */
    static List<Throwable> outcomes(List<? extends Future<?>> results) throws InterruptedException {
        List<Throwable> failures = new ArrayList<>();
        for (Future<?> f : results) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failures.add(e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("a task did not finish within 30 s", e);
            }
        }
        return failures;
    }

    /**
     * Prepares on {@code local}, as a peer's prepare would, a branch of another coordinator's transaction
     * {@code gtrid} that writes {@code value} to {@code key} of the default database: it holds the key
     * exclusively until the test commits or rolls it back. Fails unless the vote is YES.
     */
    static BranchId prepareForeignWrite(LocalNode local, String gtrid, String key, String value) {
        BranchId branch = new BranchId(4711, Bytes.utf8(gtrid), Bytes.utf8("b"));
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), key.getBytes(StandardCharsets.UTF_8)),
                value.getBytes(StandardCharsets.UTF_8));
        Vote vote = local.prepare(branch, new TxWork(writes, Map.of(), "")).join();
        if (vote != Vote.YES) {
            throw new AssertionError("the prepare of " + gtrid + " voted " + vote);
        }
        return branch;
    }
}
