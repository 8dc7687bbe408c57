package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Reply;
import io.quarkiverse.level2pc.sim.RegisterLinearizability;

/**
 * The client load of one round of {@link FaultCampaignIT}: seeded client threads, each call through a
 * randomly chosen node, recording every operation with its client-side invocation and response
 * instants and its outcome.
 * <p>
 * Keys of round {@code r}: registers {@code r<r>-reg-<i>} (single-key writes of unique values, and
 * reads), pairs {@code r<r>-pair-<i>-x} / {@code -y} (written only together, by an atomic
 * {@code POST /kv/batch} of one unique value to both; read one key at a time and by a prefix scan),
 * set members {@code r<r>-set-<client>-<n>} (each added once), and bank accounts
 * {@code r<r>-acct-<i>} (transfers between them; their sum never changes).
 */
final class CampaignLoad {

    static final int REGISTERS = 3;
    static final int PAIRS = 3;
    static final int ACCOUNTS = 4;
    static final long INITIAL_BALANCE = 1000;
    /** Per request; longer than any pause (4 s) plus prepare-timeout (10 s) plus lock-wait-timeout (5 s). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    enum Kind {
        REGISTER_WRITE(true),
        SET_ADD(true),
        PAIR_BATCH(true),
        TRANSFER(true),
        READ(false),
        PAIR_SCAN(false),
        BANK_TOTAL(false);

        final boolean write;

        Kind(boolean write) {
            this.write = write;
        }
    }

    /**
     * OK: acknowledged. FAILED: definitely not applied. UNKNOWN: may have been applied, at any time
     * after its invocation, or never.
     */
    enum Outcome {
        OK,
        FAILED,
        UNKNOWN
    }

    /**
     * One operation. For a write, {@code key} is what it writes (a pair's prefix for a batch, the
     * source account for a transfer, with {@code key2} the destination), {@code value} the unique value
     * (the amount for a transfer). For a read, {@code value} is what it returned ({@code null}:
     * absent). {@code ret} is {@link RegisterLinearizability#UNKNOWN} for a write of unknown outcome.
     */
    record Op(Kind kind, int client, String node, String key, String key2, String value, long call, long ret, Outcome outcome,
            String answer) {
        long amount() {
            return Long.parseLong(value);
        }
    }

    /** The statuses and errors seen, for the round's report. */
    final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    /** Operations with an outcome (reads that failed are only counted in {@link #answers}). */
    final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    /** Half-applied states seen by scans during the load: a pair with two values, a bank total off. */
    final ConcurrentLinkedQueue<String> halfSeen = new ConcurrentLinkedQueue<>();
    final AtomicInteger readsFailed = new AtomicInteger();

    private final int round;
    private final List<NodeProcess> nodes;
    private final HttpClient http;
    private final long bankTotal;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Set<String> unexpected = ConcurrentHashMap.newKeySet();
    private ExecutorService pool;
    private final List<Future<?>> clients = new ArrayList<>();

    /** @param bankTotal the sum of every account of every round so far (what {@code GET /bank/total} must show) */
    CampaignLoad(int round, List<NodeProcess> nodes, HttpClient http, long bankTotal) {
        this.round = round;
        this.nodes = nodes;
        this.http = http;
        this.bankTotal = bankTotal;
    }

    static String register(int round, int i) {
        return "r" + round + "-reg-" + i;
    }

    static String pair(int round, int i) {
        return "r" + round + "-pair-" + i + "-";
    }

    static String account(int round, int i) {
        return "r" + round + "-acct-" + i;
    }

    static String setPrefix(int round) {
        return "r" + round + "-set-";
    }

    /** Starts one thread per seed. */
    void start(long[] clientSeeds) {
        pool = Executors.newFixedThreadPool(clientSeeds.length, r -> {
            Thread t = new Thread(r, "campaign-client");
            t.setDaemon(true);
            return t;
        });
        for (int c = 0; c < clientSeeds.length; c++) {
            int client = c;
            Random rnd = new Random(clientSeeds[c]);
            clients.add(pool.submit(() -> {
                run(client, rnd);
                return null;
            }));
        }
    }

    /** Stops the clients after their current call and waits for them. */
    void stop() throws Exception {
        stop.set(true);
        try {
            for (Future<?> f : clients) {
                try {
                    f.get(REQUEST_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new IllegalStateException("a campaign client did not finish its last call", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Definite failures other than 409/422/503 (400, 404): not expected from this load. */
    Set<String> unexpected() {
        return unexpected;
    }

    private void run(int client, Random rnd) throws InterruptedException {
        for (int i = 0; !stop.get(); i++) {
            NodeProcess node = nodes.get(rnd.nextInt(nodes.size()));
            String unique = "r" + round + "c" + client + "n" + i + "@" + node.name;
            double dice = rnd.nextDouble();
            if (dice < 0.25) {
                String key = register(round, rnd.nextInt(REGISTERS));
                write(Kind.REGISTER_WRITE, client, node, key, null, unique, "PUT", "/kv/" + key, unique, "text/plain");
            } else if (dice < 0.50) {
                String key = rnd.nextInt(3) == 0 ? pair(round, rnd.nextInt(PAIRS)) + (rnd.nextBoolean() ? "x" : "y")
                        : register(round, rnd.nextInt(REGISTERS));
                read(client, node, key);
            } else if (dice < 0.62) {
                String key = setPrefix(round) + client + "-" + i;
                write(Kind.SET_ADD, client, node, key, null, unique, "PUT", "/kv/" + key, unique, "text/plain");
            } else if (dice < 0.77) {
                String p = pair(round, rnd.nextInt(PAIRS));
                String body = "[{\"op\":\"put\",\"key\":\"" + p + "x\",\"value\":\"" + unique + "\"},"
                        + "{\"op\":\"put\",\"key\":\"" + p + "y\",\"value\":\"" + unique + "\"}]";
                write(Kind.PAIR_BATCH, client, node, p, null, unique, "POST", "/kv/batch", body, "application/json");
            } else if (dice < 0.87) {
                int from = rnd.nextInt(ACCOUNTS);
                int to = (from + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                long amount = 1 + rnd.nextInt(20);
                String body = "{\"from\":\"" + account(round, from) + "\",\"to\":\"" + account(round, to) + "\",\"amount\":" + amount
                        + "}";
                write(Kind.TRANSFER, client, node, account(round, from), account(round, to), Long.toString(amount), "POST",
                        "/bank/transfer", body, "application/json");
            } else if (dice < 0.95) {
                pairScan(node, pair(round, rnd.nextInt(PAIRS)));
            } else {
                bankTotal(node);
            }
        }
    }

    /**
     * Which answers prove that a write was not applied. A conflict (409: a NO vote or a lock met, the
     * transaction rolled back on every node), insufficient funds (422, before any write) and 400/404
     * are definite. Among the 503s, "not ready" is refused before anything is sent, "peer unavailable"
     * is a prepare that could not reach a peer (Narayana rolls back; a second-phase failure is never
     * reported to the caller, it is left to recovery), "lock wait timeout" is a read that waited for a
     * lock or a vote XA_RBTIMEOUT (rolled back); see ErrorMappers and ReplicatedDBImpl. Anything else
     * (other 5xx, no answer, a timeout, a reset connection) may have been applied.
     */
    static Outcome classify(Reply r) {
        int s = r.status();
        if (s >= 200 && s < 300) {
            return Outcome.OK;
        }
        if (s == 409 || s == 422 || s == 400 || s == 404) {
            return Outcome.FAILED;
        }
        if (s == 503) {
            String e = r.error();
            if ("not ready".equals(e) || "peer unavailable".equals(e) || "lock wait timeout".equals(e)) {
                return Outcome.FAILED;
            }
        }
        return Outcome.UNKNOWN;
    }

    private void write(Kind kind, int client, NodeProcess node, String key, String key2, String value, String method, String path,
            String body, String type) throws InterruptedException {
        long call = System.nanoTime();
        try {
            Reply r = DemoClient.send(http, node.uri(path), method, body.getBytes(StandardCharsets.UTF_8), type, Map.of(),
                    REQUEST_TIMEOUT);
            Outcome o = classify(r);
            String answer = r.status() + (r.error() == null ? "" : " " + r.error());
            count(kind + " " + answer);
            if (o == Outcome.FAILED && r.status() != 409 && r.status() != 503 && r.status() != 422) {
                unexpected.add(kind + " on " + node.name + ": " + r);
            }
            ops.add(new Op(kind, client, node.name, key, key2, value, r.invokedNanos(),
                    o == Outcome.UNKNOWN ? RegisterLinearizability.UNKNOWN : r.returnedNanos(), o, answer));
        } catch (IOException e) {
            count(kind + " " + e.getClass().getSimpleName());
            ops.add(new Op(kind, client, node.name, key, key2, value, call, RegisterLinearizability.UNKNOWN, Outcome.UNKNOWN,
                    e.toString()));
        }
    }

    private void read(int client, NodeProcess node, String key) throws InterruptedException {
        try {
            Reply r = DemoClient.send(http, node.uri("/kv/" + key), "GET", null, null, Map.of(), REQUEST_TIMEOUT);
            count("READ " + r.status() + (r.status() == 200 || r.error() == null ? "" : " " + r.error()));
            if (r.status() == 200 || (r.status() == 404 && "not found".equals(r.error()))) {
                ops.add(new Op(Kind.READ, client, node.name, key, null, r.status() == 200 ? r.body() : null, r.invokedNanos(),
                        r.returnedNanos(), Outcome.OK, Integer.toString(r.status())));
            } else {
                readsFailed.incrementAndGet();
            }
        } catch (IOException e) {
            count("READ " + e.getClass().getSimpleName());
            readsFailed.incrementAndGet();
        }
    }

    /** A snapshot scan of one pair: both keys absent, or both with the same value. */
    private void pairScan(NodeProcess node, String prefix) throws InterruptedException {
        try {
            Reply r = DemoClient.send(http, node.uri("/kv?prefix=" + prefix), "GET", null, null, Map.of(), REQUEST_TIMEOUT);
            count("PAIR_SCAN " + r.status());
            if (r.status() != 200) {
                readsFailed.incrementAndGet();
                return;
            }
            JsonNode m = r.json();
            String x = m.path(prefix + "x").asText(null);
            String y = m.path(prefix + "y").asText(null);
            if (m.size() > 2 || !java.util.Objects.equals(x, y)) {
                halfSeen.add("scan of " + prefix + "* on " + node.name + " returned " + r.body());
            }
        } catch (IOException e) {
            count("PAIR_SCAN " + e.getClass().getSimpleName());
            readsFailed.incrementAndGet();
        }
    }

    /** {@code GET /bank/total}: one snapshot of every account; the sum never changes. */
    private void bankTotal(NodeProcess node) throws InterruptedException {
        try {
            Reply r = DemoClient.send(http, node.uri("/bank/total"), "GET", null, null, Map.of(), REQUEST_TIMEOUT);
            count("BANK_TOTAL " + r.status());
            if (r.status() != 200) {
                readsFailed.incrementAndGet();
                return;
            }
            long total = r.json().path("total").asLong();
            if (total != bankTotal) {
                halfSeen.add("bank total on " + node.name + " is " + total + ", expected " + bankTotal + ": " + r.body());
            }
        } catch (IOException e) {
            count("BANK_TOTAL " + e.getClass().getSimpleName());
            readsFailed.incrementAndGet();
        }
    }

    private void count(String what) {
        answers.computeIfAbsent(what, w -> new AtomicInteger()).incrementAndGet();
    }
}
