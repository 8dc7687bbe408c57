package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Op;
import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * Every node writable at once: writers on all three nodes race on a small key set, and bank
 * transfers race on a few accounts. Afterwards the nodes hold identical data, every final value was
 * written by an operation that may have taken effect, the bank's total never moved, and exactly the
 * transfers answered 200 are reflected. The seed is printed; {@code -Dconcurrency.seed=N} replays
 * a run's choices (not its interleaving).
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class ClusterConcurrencyIT {

    private static final int THREADS_PER_NODE = 3;

    private static ClusterProcesses cluster;
    private static long seed;

    @BeforeAll
    static void startCluster() throws Exception {
        seed = Long.getLong("concurrency.seed", System.nanoTime());
        System.out.println("ClusterConcurrencyIT seed=" + seed + " (replay with -Dconcurrency.seed=" + seed + ")");
        cluster = ClusterProcesses.start("concurrency");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    enum Outcome {
        /** 204: took effect. */
        ACKED,
        /** 409 / 503: refused (conflict, lock wait timeout), took no effect. */
        REFUSED,
        /** Anything else (timeout, 500): may or may not have taken effect. */
        UNKNOWN
    }

    /** One write operation and what it did to each key it touched (a {@code null} value deletes). */
    record Attempt(String client, Map<String, String> effects, long invoked, long returned, Outcome outcome, String reply) {
    }

    // ---- (a) puts, deletes and batches --------------------------------------------------------

    @Test
    void concurrentWritersOnAllNodesLeaveIdenticalNodesHoldingOnlyWrittenValues() throws Exception {
        Random master = new Random(seed);
        String p = "cc" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(p + "k" + i);
        }
        int opsPerThread = 25;
        ConcurrentLinkedQueue<Attempt> history = new ConcurrentLinkedQueue<>();
        List<Runnable> clients = new ArrayList<>();
        for (NodeProcess node : cluster.nodes()) {
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                String client = node.name + t;
                Random r = new Random(master.nextLong());
                clients.add(() -> {
                    for (int i = 0; i < opsPerThread; i++) {
                        String tag = client + "-" + i;
                        int kind = r.nextInt(10);
                        Map<String, String> effects = new LinkedHashMap<>();
                        if (kind < 5) {
                            effects.put(keys.get(r.nextInt(keys.size())), tag);
                        } else if (kind < 7) {
                            effects.put(keys.get(r.nextInt(keys.size())), null);
                        } else {
                            List<String> shuffled = new ArrayList<>(keys);
                            Collections.shuffle(shuffled, r);
                            for (String k : shuffled.subList(0, 2 + r.nextInt(3))) {
                                effects.put(k, r.nextInt(4) == 0 ? null : tag);
                            }
                        }
                        history.add(write(node, client, effects));
                    }
                });
            }
        }
        long t0 = System.nanoTime();
        runAll(clients);
        long elapsed = (System.nanoTime() - t0) / 1_000_000;

        Map<Outcome, Integer> counts = new TreeMap<>();
        history.forEach(a -> counts.merge(a.outcome(), 1, Integer::sum));
        System.out.printf("ClusterConcurrencyIT kv: %d writes in %d ms: %s (seed %d)%n", history.size(), elapsed, counts, seed);

        // 1. the nodes are byte-identical, right away
        String first = null;
        for (NodeProcess n : cluster.nodes()) {
            Reply r = DemoClient.scanRaw(n, p);
            assertThat(r.status()).as("scan on %s: %s", n.name, r).isEqualTo(200);
            if (first == null) {
                first = r.body();
            } else {
                assertThat(r.body()).as("scan of node %s equals node a's (seed %d)", n.name, seed).isEqualTo(first);
            }
        }
        Map<String, String> finalState = DemoClient.scan(cluster.node(0), p);
        assertThat(keys).as("keys on the nodes were all written by the test").containsAll(finalState.keySet());

        // 2. each key holds the effect of a write that may have taken effect, and that no acknowledged
        //    write of the key started after (the last acknowledged writer in real time cannot be overwritten
        //    by an earlier one)
        for (String k : keys) {
            String v = finalState.get(k);
            List<Attempt> touching = history.stream().filter(a -> a.effects().containsKey(k)).toList();
            List<Attempt> candidates = touching.stream()
                    .filter(a -> java.util.Objects.equals(a.effects().get(k), v) && a.outcome() != Outcome.REFUSED).toList();
            boolean initialAbsence = v == null && touching.stream().noneMatch(a -> a.outcome() == Outcome.ACKED);
            boolean explained = initialAbsence || candidates.stream().anyMatch(c -> touching.stream()
                    .noneMatch(other -> other.outcome() == Outcome.ACKED && other.invoked() > c.returned()));
            assertThat(explained).as("key %s ends as %s, which no operation that may have taken effect last explains"
                    + " (seed %d); candidates %s; refused writers of it: %s", k, v == null ? "absent" : "'" + v + "'", seed,
                    candidates, touching.stream().filter(a -> a.outcome() == Outcome.REFUSED
                            && java.util.Objects.equals(a.effects().get(k), v)).toList())
                    .isTrue();
        }
        assertThat(counts.getOrDefault(Outcome.ACKED, 0)).as("acknowledged writes").isGreaterThan(history.size() / 2);
        assertNothingInDoubt();
    }

    private static Attempt write(NodeProcess node, String client, Map<String, String> effects) {
        long invoked = System.nanoTime();
        try {
            Reply r;
            if (effects.size() > 1) {
                List<Op> ops = new ArrayList<>();
                effects.forEach((k, v) -> ops.add(v == null ? Op.del(k) : Op.put(k, v)));
                r = DemoClient.batch(node, ops);
            } else {
                Map.Entry<String, String> e = effects.entrySet().iterator().next();
                r = e.getValue() == null ? DemoClient.delete(node, e.getKey()) : DemoClient.put(node, e.getKey(), e.getValue());
            }
            Outcome o = r.status() == 204 ? Outcome.ACKED
                    : r.status() == 409 || r.status() == 503 ? Outcome.REFUSED : Outcome.UNKNOWN;
            return new Attempt(client, effects, r.invokedNanos(), o == Outcome.UNKNOWN ? Long.MAX_VALUE : r.returnedNanos(), o,
                    r.toString());
        } catch (IOException e) {
            return new Attempt(client, effects, invoked, Long.MAX_VALUE, Outcome.UNKNOWN, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(client, effects, invoked, Long.MAX_VALUE, Outcome.UNKNOWN, e.toString());
        }
    }

    // ---- (b) bank transfers -------------------------------------------------------------------

    record Transfer(String from, String to, long amount, long fromAfter, long toAfter) {
    }

    @Test
    void concurrentTransfersOnAllNodesKeepTheTotalAndReflectExactlyTheAcknowledgedOnes() throws Exception {
        Random master = new Random(seed ^ 0x5DEECE66DL);
        String run = "cb" + UUID.randomUUID().toString().substring(0, 8) + "-";
        int accountCount = 6;
        long initial = 300; // low enough for some transfers to meet insufficient funds
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < accountCount; i++) {
            accounts.add(run + i);
        }
        JsonNode before = DemoClient.get(cluster.node(0), "/bank/total").json();
        for (int i = 0; i < accountCount; i++) {
            assertThat(DemoClient.openAccount(cluster.node(i % cluster.size()), accounts.get(i), initial).status()).isEqualTo(204);
        }
        long expectedAccounts = before.get("accounts").asLong() + accountCount;
        long expectedTotal = before.get("total").asLong() + accountCount * initial;

        int transfersPerThread = 15;
        ConcurrentLinkedQueue<Transfer> acknowledged = new ConcurrentLinkedQueue<>();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        List<Runnable> clients = new ArrayList<>();
        for (NodeProcess node : cluster.nodes()) {
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                Random r = new Random(master.nextLong());
                clients.add(() -> {
                    for (int i = 0; i < transfersPerThread; i++) {
                        int from = r.nextInt(accountCount);
                        int to = (from + 1 + r.nextInt(accountCount - 1)) % accountCount;
                        long amount = 1 + r.nextInt(150);
                        // A conflict is retried a few times, each attempt its own transaction with its own outcome.
                        for (int attempt = 0; attempt < 4; attempt++) {
                            try {
                                Reply reply = DemoClient.transfer(node, accounts.get(from), accounts.get(to), amount);
                                statuses.computeIfAbsent(reply.status(), s -> new AtomicInteger()).incrementAndGet();
                                switch (reply.status()) {
                                    case 200 -> acknowledged.add(new Transfer(accounts.get(from), accounts.get(to), amount,
                                            reply.json().get("from").get("balance").asLong(),
                                            reply.json().get("to").get("balance").asLong()));
                                    case 409, 422, 503 -> {
                                        // refused: conflict, insufficient funds, lock wait timeout; no effect
                                    }
                                    default -> unexpected.add("transfer on " + node.name + ": " + reply);
                                }
                                if (reply.status() != 409) {
                                    break;
                                }
                            } catch (IOException e) {
                                unexpected.add("transfer on " + node.name + ": " + e);
                                break;
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }
                });
            }
        }

        // While the transfers run, every node's snapshot total stays the same.
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> totalViolations = new ConcurrentLinkedQueue<>();
        AtomicInteger samples = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            Random r = new Random(seed);
            while (!done.get()) {
                NodeProcess n = cluster.node(r.nextInt(cluster.size()));
                try {
                    Reply t = DemoClient.get(n, "/bank/total");
                    samples.incrementAndGet();
                    if (t.status() != 200 || t.json().get("accounts").asLong() != expectedAccounts
                            || t.json().get("total").asLong() != expectedTotal) {
                        totalViolations.add(n.name + ": " + t);
                    }
                } catch (IOException e) {
                    totalViolations.add(n.name + ": " + e);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "total-sampler");
        sampler.start();
        long t0 = System.nanoTime();
        try {
            runAll(clients);
        } finally {
            done.set(true);
            sampler.join(60_000);
        }
        long elapsed = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("ClusterConcurrencyIT bank: %d transfers in %d ms, attempts' statuses %s, %d total samples (seed %d)%n",
                transfersPerThread * clients.size(), elapsed, new TreeMap<>(statuses), samples.get(), seed);

        assertThat(unexpected).as("answers other than 200/409/422/503 (seed %d)", seed).isEmpty();
        assertThat(totalViolations).as("GET /bank/total during the run (seed %d)", seed).isEmpty();
        assertThat(samples.get()).as("total samples taken during the run").isPositive();
        assertThat(acknowledged).as("acknowledged transfers").isNotEmpty();
        for (Transfer t : acknowledged) {
            assertThat(t.fromAfter()).as("balance left by %s (no overdraft, seed %d)", t, seed).isNotNegative();
        }

        // Replay the acknowledged transfers from the initial balances: that is what every node holds.
        Map<String, Long> expected = new TreeMap<>();
        accounts.forEach(a -> expected.put(a, initial));
        for (Transfer t : acknowledged) {
            expected.merge(t.from(), -t.amount(), Long::sum);
            expected.merge(t.to(), t.amount(), Long::sum);
        }
        assertThat(expected.values()).as("final balances (seed %d)", seed).allMatch(b -> b >= 0);
        for (NodeProcess n : cluster.nodes()) {
            Map<String, Long> actual = new TreeMap<>();
            for (String a : accounts) {
                actual.put(a, DemoClient.balance(n, a));
            }
            assertThat(actual).as("balances on %s = initial balances + the %d acknowledged transfers (seed %d)", n.name,
                    acknowledged.size(), seed).isEqualTo(expected);
            assertThat(actual.values().stream().mapToLong(Long::longValue).sum()).as("sum of the run's accounts on %s", n.name)
                    .isEqualTo(accountCount * initial);
            JsonNode total = DemoClient.get(n, "/bank/total").json();
            assertThat(total.get("total").asLong()).as("GET /bank/total on %s", n.name).isEqualTo(expectedTotal);
        }

        // Each account's acknowledged transfers chain up in some serial order: every answer's balance
        // "after" follows from the balance another answer left (no lost update, no write skew).
        for (String a : accounts) {
            List<long[]> steps = new ArrayList<>();
            for (Transfer t : acknowledged) {
                if (t.from().equals(a)) {
                    steps.add(new long[] { t.fromAfter() + t.amount(), t.fromAfter() });
                } else if (t.to().equals(a)) {
                    steps.add(new long[] { t.toAfter() - t.amount(), t.toAfter() });
                }
            }
            assertThat(BalanceChain.formsOnePath(initial, expected.get(a), steps))
                    .as("the balances answered for account %s form one serial history from %d to %d (seed %d): %s", a, initial,
                            expected.get(a), seed, steps.stream().map(s -> s[0] + "->" + s[1]).toList())
                    .isTrue();
        }
        assertNothingInDoubt();
    }

    // ---- (c) compare-and-set through every node -------------------------------------------------

    @Test
    void compareAndSetIncrementsThroughEveryNodeLoseNothing() throws Exception {
        String key = "cas" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(DemoClient.put(cluster.node(0), key, "0").status()).isEqualTo(204);
        int incrementsPerThread = 10;
        AtomicInteger succeeded = new AtomicInteger();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        List<Runnable> clients = new ArrayList<>();
        for (NodeProcess node : cluster.nodes()) {
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                clients.add(() -> {
                    try {
                        for (int done = 0; done < incrementsPerThread;) {
                            DemoClient.Tagged current = DemoClient.readTagged(node, key);
                            long next = Long.parseLong(current.value()) + 1;
                            Reply reply = DemoClient.putIfMatch(node, key, String.valueOf(next), current.etag());
                            statuses.computeIfAbsent(reply.status(), s -> new AtomicInteger()).incrementAndGet();
                            switch (reply.status()) {
                                case 204 -> {
                                    succeeded.incrementAndGet();
                                    done++;
                                }
                                case 412, 409, 503 -> {
                                    // lost the race (or a conflict, a lock wait): no effect, read again
                                }
                                default -> {
                                    unexpected.add("PUT If-Match on " + node.name + ": " + reply);
                                    return;
                                }
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        unexpected.add(node.name + ": " + e);
                    }
                });
            }
        }
        runAll(clients);
        System.out.println("compare-and-set statuses: " + statuses);
        assertThat(unexpected).isEmpty();
        assertThat(succeeded.get()).isEqualTo(cluster.size() * THREADS_PER_NODE * incrementsPerThread);
        for (NodeProcess n : cluster.nodes()) {
            assertThat(DemoClient.read(n, key).body()).as("the counter on %s: every 204 counted exactly once", n.name)
                    .isEqualTo(String.valueOf(succeeded.get()));
        }
        assertThat(statuses.getOrDefault(412, new AtomicInteger()).get()).as("clients on different nodes raced").isPositive();
        assertNothingInDoubt();
    }

    // ---- shared -------------------------------------------------------------------------------

    /** Runs every client on its own thread, all released at once, and fails on any client exception. */
    private static void runAll(List<Runnable> clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (Runnable c : clients) {
                futures.add(pool.submit(() -> {
                    go.await();
                    c.run();
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
    }

    private static void assertNothingInDoubt() throws Exception {
        for (NodeProcess n : cluster.nodes()) {
            JsonNode check = DemoClient.level2pcCheck(DemoClient.writesHealth(n));
            assertThat(check.path("data").path("in-doubt").asInt(-1)).as("in-doubt branches on %s: %s", n.name, check)
                    .isZero();
            assertThat(check.path("status").asText()).as("readiness of %s", n.name).isEqualTo("UP");
        }
    }
}
