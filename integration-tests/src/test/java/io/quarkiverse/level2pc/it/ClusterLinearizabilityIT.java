package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.quarkiverse.level2pc.it.DemoClient.Reply;
import io.quarkiverse.level2pc.sim.RegisterLinearizability.Operation;
import io.quarkiverse.level2pc.sim.RegisterLinearizability.Result;
import io.quarkiverse.level2pc.sim.RegisterLinearizability;

/**
 * Linearizable single-key reads from any node: clients write unique values to a few keys and read
 * them, each call through a randomly chosen node; the recorded history of every key (client-side
 * invocation and response instants) must be linearizable for a register. A write that did not answer
 * 204 counts as "may have taken effect at any time after its invocation, or never"; a read that did
 * not answer 200/404 is left out. The seed is printed; {@code -Dlinearizability.seed=N} replays a
 * run's choices (not its timing). A failing history is written to {@code target/}.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class ClusterLinearizabilityIT {

    private static final int KEYS = 3;
    private static final int CLIENTS = 8;
    private static final int OPS_PER_CLIENT = 57; // about 150 operations per key

    private static ClusterProcesses cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterProcesses.start("linearizability");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void singleKeyHistoriesThroughRandomNodesAreLinearizable() throws Exception {
        long seed = Long.getLong("linearizability.seed", System.nanoTime());
        System.out.println("ClusterLinearizabilityIT seed=" + seed + " (replay with -Dlinearizability.seed=" + seed + ")");
        Random master = new Random(seed);
        String run = "lin" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> keys = new ArrayList<>();
        Map<String, ConcurrentLinkedQueue<Operation>> histories = new TreeMap<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add(run + "r" + i);
            histories.put(run + "r" + i, new ConcurrentLinkedQueue<>());
        }
        Map<String, AtomicInteger> stats = new ConcurrentHashMap<>();

        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Random r = new Random(master.nextLong());
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < OPS_PER_CLIENT; i++) {
                        String key = keys.get(r.nextInt(KEYS));
                        NodeProcess node = cluster.node(r.nextInt(cluster.size()));
                        double dice = r.nextDouble();
                        if (dice < 0.35) {
                            String value = "c" + client + "-" + i + "@" + node.name;
                            histories.get(key).add(write(node, key, value, stats));
                        } else if (dice < 0.40) {
                            histories.get(key).add(write(node, key, null, stats));
                        } else {
                            Operation read = read(node, key, stats);
                            if (read != null) {
                                histories.get(key).add(read);
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get(150, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long loadMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("ClusterLinearizabilityIT: %d operations in %d ms: %s (seed %d)%n",
                histories.values().stream().mapToInt(ConcurrentLinkedQueue::size).sum(), loadMillis, new TreeMap<>(stats), seed);

        for (Map.Entry<String, ConcurrentLinkedQueue<Operation>> h : histories.entrySet()) {
            List<Operation> ops = new ArrayList<>(h.getValue());
            long c0 = System.nanoTime();
            Result result = RegisterLinearizability.check(null, ops);
            System.out.printf("ClusterLinearizabilityIT: key %s, %d operations, %s, %d states explored in %d ms%n", h.getKey(),
                    ops.size(), result.linearizable() ? "linearizable" : "NOT linearizable", result.statesExplored(),
                    (System.nanoTime() - c0) / 1_000_000);
            if (!result.linearizable()) {
                Path dump = dump(h.getKey(), ops, t0);
                assertThat(result.linearizable()).as("history of key %s (seed %d) is linearizable: %s; history in %s", h.getKey(),
                        seed, result.explanation(), dump).isTrue();
            }
            long reads = ops.stream().filter(o -> !o.write()).count();
            long readsOfWrittenValues = ops.stream().filter(o -> !o.write() && o.value() != null).count();
            assertThat(reads).as("reads of %s", h.getKey()).isGreaterThan(20);
            assertThat(readsOfWrittenValues).as("reads of %s that saw a written value", h.getKey()).isGreaterThan(10);
        }
        assertThat(stats.getOrDefault("write 204", new AtomicInteger()).get()).as("acknowledged writes").isGreaterThan(50);
    }

    private static Operation write(NodeProcess node, String key, String value, Map<String, AtomicInteger> stats) {
        long invoked = System.nanoTime();
        try {
            Reply r = value == null ? DemoClient.delete(node, key) : DemoClient.put(node, key, value);
            count(stats, "write " + r.status());
            return r.status() == 204 ? Operation.write(value, r.invokedNanos(), r.returnedNanos())
                    : Operation.write(value, r.invokedNanos(), RegisterLinearizability.UNKNOWN);
        } catch (IOException e) {
            count(stats, "write " + e.getClass().getSimpleName());
            return Operation.write(value, invoked, RegisterLinearizability.UNKNOWN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Operation.write(value, invoked, RegisterLinearizability.UNKNOWN);
        }
    }

    /** The read, or {@code null} if it failed (no information). */
    private static Operation read(NodeProcess node, String key, Map<String, AtomicInteger> stats) {
        try {
            Reply r = DemoClient.read(node, key);
            count(stats, "read " + r.status());
            if (r.status() == 200) {
                return Operation.read(r.body(), r.invokedNanos(), r.returnedNanos());
            }
            if (r.status() == 404) {
                return Operation.read(null, r.invokedNanos(), r.returnedNanos());
            }
            return null;
        } catch (IOException e) {
            count(stats, "read " + e.getClass().getSimpleName());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void count(Map<String, AtomicInteger> stats, String what) {
        stats.computeIfAbsent(what, w -> new AtomicInteger()).incrementAndGet();
    }

    private static Path dump(String key, List<Operation> ops, long origin) throws IOException {
        Path file = cluster.dir.resolve("history-" + key + ".txt");
        StringBuilder b = new StringBuilder("# op value call_us return_us (relative to the start of the load)\n");
        ops.stream().sorted(java.util.Comparator.comparingLong(Operation::call)).forEach(o -> b.append(o.write() ? "W " : "R ")
                .append(o.value()).append(' ').append((o.call() - origin) / 1000).append(' ')
                .append(o.ret() == RegisterLinearizability.UNKNOWN ? "?" : Long.toString((o.ret() - origin) / 1000))
                .append('\n'));
        Files.writeString(file, b);
        return file;
    }
}
