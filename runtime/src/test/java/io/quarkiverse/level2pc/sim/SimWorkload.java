package io.quarkiverse.level2pc.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.OutcomeUnknownException;
import io.quarkiverse.level2pc.storage.KeySpace;

/**
 * The simulated clients: each issues one operation at a time to a random live node, as an application's
 * standalone calls would, and every operation is recorded with its invocation and return times (virtual)
 * and its outcome. Operations: put and delete of single keys, a batch writing both keys of a pair with one
 * value (pairs are only ever written together: both keys must always agree), reads, and transfers between
 * accounts (read both balances, write both, with the read versions validated: the total must never change).
 */
final class SimWorkload {

    enum Kind {
        PUT,
        DELETE,
        PAIR,
        READ,
        TRANSFER
    }

    /** What became of an operation. */
    enum Result {
        OK,
        /** Definitely not applied (the failure says nothing was committed). */
        FAILED,
        /** Maybe applied: the node crashed while it ran, or the outcome is unknown. */
        UNKNOWN
    }

    /** One recorded operation; {@code written} maps each key it wrote to the value ({@code null}: deleted). */
    static final class Op {
        final int id;
        final int client;
        final String node;
        final Kind kind;
        final long call;
        final Map<String, String> written = new LinkedHashMap<>();
        String read;
        String readKey;
        long ret = -1;
        Result result;
        String failure;

        Op(int id, int client, String node, Kind kind, long call) {
            this.id = id;
            this.client = client;
            this.node = node;
            this.kind = kind;
            this.call = call;
        }

        @Override
        public String toString() {
            return "#" + id + " c" + client + "@" + node + " " + kind + (readKey == null ? "" : " " + readKey + "=" + read) + " "
                    + written + " " + result + (failure == null ? "" : " (" + failure + ")");
        }
    }

    static final int KEYS = 3;
    static final int PAIRS = 2;
    static final int ACCOUNTS = 3;
    static final int INITIAL_BALANCE = 100;

    private static final Bytes PREFIX = KeySpace.dbPrefix(Database.DEFAULT_NAME);

    private final SimScheduler scheduler;
    private final List<SimNode> nodes;
    private final Random random;
    private final Trace trace;
    private final Duration bound;
    final List<Op> ops = new ArrayList<>();
    private final Map<String, List<Op>> pendingByNode = new HashMap<>();
    private long stopAt;
    private int clientsRunning;

    SimWorkload(SimScheduler scheduler, List<SimNode> nodes, Random random, Trace trace, Duration bound) {
        this.scheduler = scheduler;
        this.nodes = nodes;
        this.random = random;
        this.trace = trace;
        this.bound = bound;
    }

    static Bytes key(String user) {
        return KeySpace.dataKey(PREFIX, user.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static List<String> allKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add("k" + i);
        }
        for (int i = 0; i < PAIRS; i++) {
            keys.add("p" + i + "a");
            keys.add("p" + i + "b");
        }
        for (int i = 0; i < ACCOUNTS; i++) {
            keys.add("acct" + i);
        }
        return keys;
    }

    /** Starts {@code clients} clients that issue operations until {@code millis} of virtual time from now. */
    void start(int clients, long millis) {
        stopAt = scheduler.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (int c = 0; c < clients; c++) {
            clientsRunning++;
            next(c);
        }
    }

    boolean done() {
        return clientsRunning == 0;
    }

    private void next(int client) {
        if (scheduler.nanoTime() >= stopAt) {
            clientsRunning--;
            return;
        }
        scheduler.at(TimeUnit.MILLISECONDS.toNanos(5 + random.nextInt(60)), () -> issue(client));
    }

    private void issue(int client) {
        List<SimNode> up = nodes.stream().filter(SimNode::isUp).toList();
        if (up.isEmpty()) {
            next(client);
            return;
        }
        SimNode target = up.get(random.nextInt(up.size()));
        int roll = random.nextInt(100);
        Kind kind = roll < 30 ? Kind.PUT : roll < 38 ? Kind.DELETE : roll < 53 ? Kind.PAIR : roll < 85 ? Kind.READ : Kind.TRANSFER;
        Op op = new Op(ops.size(), client, target.name, kind, scheduler.nanoTime());
        ops.add(op);
        pendingByNode.computeIfAbsent(target.name, n -> new ArrayList<>()).add(op);
        CompletableFuture<?> run = switch (kind) {
            case PUT -> write(target, op, Map.of("k" + random.nextInt(KEYS), token(op)), Map.of());
            case DELETE -> write(target, op, single("k" + random.nextInt(KEYS), null), Map.of());
            case PAIR -> {
                int p = random.nextInt(PAIRS);
                Map<String, String> w = new LinkedHashMap<>();
                w.put("p" + p + "a", token(op));
                w.put("p" + p + "b", token(op));
                yield write(target, op, w, Map.of());
            }
            case READ -> read(target, op, allKeys().get(random.nextInt(allKeys().size())));
            case TRANSFER -> transfer(target, op);
        };
        int incarnation = target.incarnation();
        run.whenComplete((v, e) -> {
            if (target.incarnation() != incarnation || op.result != null) {
                return; // the node crashed meanwhile: already recorded as unknown
            }
            finish(op, e);
            next(client);
        });
    }

    private static Map<String, String> single(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
    }

    private static String token(Op op) {
        return "c" + op.client + "-" + op.id;
    }

    private void finish(Op op, Throwable e) {
        pendingByNode.get(op.node).remove(op);
        op.ret = scheduler.nanoTime();
        if (e == null) {
            op.result = Result.OK;
        } else {
            Throwable cause = Futures.unwrap(e);
            op.result = cause instanceof OutcomeUnknownException ? Result.UNKNOWN : Result.FAILED;
            op.failure = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
        if (op.client >= 0 || op.result != Result.OK || op.kind != Kind.READ) {
            trace.log("client %d: %s", op.client, op); // the final reads show up only when they fail
        }
    }

    /** Node {@code name} crashed: its pending operations' outcomes are unknown; their clients go on. */
    void crashed(String name) {
        for (Op op : new ArrayList<>(pendingByNode.getOrDefault(name, List.of()))) {
            pendingByNode.get(name).remove(op);
            op.result = Result.UNKNOWN;
            op.ret = Long.MAX_VALUE;
            trace.log("client %d: %s (its node crashed)", op.client, op);
            if (clientsRunning > 0 && op.client >= 0) {
                next(op.client);
            }
        }
    }

    private CompletableFuture<Void> write(SimNode target, Op op, Map<String, String> values, Map<Bytes, Bytes> reads) {
        op.written.putAll(values);
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        values.forEach((k, v) -> writes.put(key(k), v == null ? null : v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Node n = target.node();
        return n.coordinator().run(new TxWork(writes, reads, target.name), n.readiness()::writeSet, bound);
    }

    private CompletableFuture<Versioned> readVersioned(SimNode target, String k) {
        Node n = target.node();
        return n.readiness().awaitReadable().thenCompose(v -> n.reads().readAsync(key(k)));
    }

    private CompletableFuture<Void> read(SimNode target, Op op, String k) {
        op.readKey = k;
        return readVersioned(target, k).thenAccept(v -> op.read = v == null ? null : new String(v.value(),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Moves 1 from one account to another: reads both, then writes both with the versions read validated. */
    private CompletableFuture<Void> transfer(SimNode target, Op op) {
        int from = random.nextInt(ACCOUNTS);
        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        String a = "acct" + from;
        String b = "acct" + to;
        CompletableFuture<Versioned> ra = readVersioned(target, a);
        return ra.thenCompose(va -> readVersioned(target, b).thenCompose(vb -> {
            Map<Bytes, Bytes> reads = new HashMap<>();
            reads.put(key(a), va == null ? Bytes.EMPTY : va.version());
            reads.put(key(b), vb == null ? Bytes.EMPTY : vb.version());
            Map<String, String> w = new LinkedHashMap<>();
            w.put(a, Integer.toString(balance(va) - 1));
            w.put(b, Integer.toString(balance(vb) + 1));
            return write(target, op, w, reads);
        }));
    }

    static int balance(Versioned v) {
        return v == null ? 0 : Integer.parseInt(new String(v.value(), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A put by client 0 outside the random workload (scripted scenarios). */
    CompletableFuture<Void> put(SimNode node, String key, String value) {
        Op op = new Op(ops.size(), 0, node.name, Kind.PUT, scheduler.nanoTime());
        ops.add(op);
        pendingByNode.computeIfAbsent(node.name, n -> new ArrayList<>()).add(op);
        int incarnation = node.incarnation();
        return write(node, op, single(key, value), Map.of()).whenComplete((v, e) -> {
            if (node.incarnation() == incarnation && op.result == null) {
                finish(op, e);
            }
        });
    }

    /**
     * A read of {@code key} on {@code node} by client 1 outside the random workload (scripted scenarios), recorded
     * like the workload's; completes with the value read, exceptionally if the node refused it.
     */
    CompletableFuture<String> get(SimNode node, String key) {
        Op op = new Op(ops.size(), 1, node.name, Kind.READ, scheduler.nanoTime());
        ops.add(op);
        pendingByNode.computeIfAbsent(node.name, n -> new ArrayList<>()).add(op);
        int incarnation = node.incarnation();
        return read(node, op, key).whenComplete((v, e) -> {
            if (node.incarnation() == incarnation && op.result == null) {
                finish(op, e);
            }
        }).thenApply(v -> op.read);
    }

    /** Writes the initial balances through {@code node} (before any fault), recorded as operations. */
    CompletableFuture<Void> seedAccounts(SimNode node) {
        Op op = new Op(ops.size(), -1, node.name, Kind.PUT, scheduler.nanoTime());
        ops.add(op);
        pendingByNode.computeIfAbsent(node.name, n -> new ArrayList<>()).add(op);
        Map<String, String> w = new LinkedHashMap<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            w.put("acct" + i, Integer.toString(INITIAL_BALANCE));
        }
        return write(node, op, w, Map.of()).whenComplete((v, e) -> finish(op, e));
    }

    /** Reads every key on every live node (after healing), recorded as operations of client -1. */
    CompletableFuture<Void> finalReads() {
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (SimNode n : nodes) {
            for (String k : allKeys()) {
                Op op = new Op(ops.size(), -1, n.name, Kind.READ, scheduler.nanoTime());
                ops.add(op);
                pendingByNode.computeIfAbsent(n.name, x -> new ArrayList<>()).add(op);
                all.add(read(n, op, k).whenComplete((v, e) -> finish(op, e)));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null);
    }
}
