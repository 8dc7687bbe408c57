package io.quarkiverse.level2pc.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;

/**
 * What every run must show once its faults healed and recovery ran: nothing left in doubt, replicas
 * byte-identical, every pair's two keys equal on every node (no half-applied batch), the accounts' total
 * unchanged (no lost update), and each key's history linearizable (no acknowledged write lost, no value
 * read that was never committed, no stale read).
 */
final class SimChecks {

    private SimChecks() {
    }

    /** Why the nodes are not quiescent yet, or {@code null}: every node up, ready, nothing prepared, no decision kept. */
    static String notQuiescent(List<SimNode> nodes) {
        for (SimNode n : nodes) {
            if (!n.isUp()) {
                return n.name + " is down";
            }
            if (!n.node().local().prepared().isEmpty()) {
                return n.name + " holds prepared branches " + n.node().local().prepared();
            }
            if (n.node().coordinator().pendingDecisions() > 0) {
                return n.name + " keeps " + n.node().coordinator().pendingDecisions() + " commit decision(s)";
            }
            if (!n.node().readiness().isReady() || !n.node().readiness().readable()) {
                return n.name + " is not ready: " + n.node().readiness().notWritableBecause();
            }
        }
        return null;
    }

    /** The data keys of a node's store (values with their versions), as readable text. */
    static NavigableMap<String, String> data(SimNode n) {
        NavigableMap<String, String> out = new TreeMap<>();
        for (Map.Entry<Bytes, byte[]> e : n.store().contents().entrySet()) {
            byte[] k = e.getKey().unsafeArray();
            if (k.length > 0 && k[0] == KeySpace.DATA) {
                Versioned v = Codec.decodeValue(e.getValue());
                out.put(KeySpace.describe(e.getKey()), new String(v.value(), StandardCharsets.UTF_8) + " @"
                        + HexFormat.of().formatHex(v.version().unsafeArray()));
            }
        }
        return out;
    }

    static List<String> check(List<SimNode> nodes, List<SimWorkload.Op> ops) {
        List<String> violations = new ArrayList<>();
        NavigableMap<String, String> first = data(nodes.get(0));
        for (SimNode n : nodes.subList(1, nodes.size())) {
            NavigableMap<String, String> other = data(n);
            if (!other.equals(first)) {
                java.util.Set<String> keys = new java.util.TreeSet<>(first.keySet());
                keys.addAll(other.keySet());
                List<String> diff = new ArrayList<>();
                for (String k : keys) {
                    if (!Objects.equals(first.get(k), other.get(k))) {
                        diff.add(k + ": " + first.get(k) + " vs " + other.get(k));
                    }
                }
                violations.add("replicas differ between " + nodes.get(0).name + " and " + n.name + ": " + diff);
            }
        }
        boolean accounts = ops.stream().anyMatch(o -> o.written.containsKey("acct0"));
        for (SimNode n : nodes) {
            NavigableMap<String, String> d = data(n);
            for (int p = 0; p < SimWorkload.PAIRS; p++) {
                String a = value(d, "p" + p + "a");
                String b = value(d, "p" + p + "b");
                if (!Objects.equals(a, b)) {
                    violations.add("half-applied batch on " + n.name + ": pair p" + p + " holds " + a + " and " + b);
                }
            }
            int total = 0;
            for (int i = 0; i < SimWorkload.ACCOUNTS; i++) {
                String v = value(d, "acct" + i);
                total += v == null ? 0 : Integer.parseInt(v);
            }
            if (accounts && total != SimWorkload.ACCOUNTS * SimWorkload.INITIAL_BALANCE) {
                violations.add("accounts on " + n.name + " total " + total + ", not " + SimWorkload.ACCOUNTS * SimWorkload.INITIAL_BALANCE
                        + " (a lost update): " + d);
            }
        }
        for (String key : SimWorkload.allKeys()) {
            List<RegisterLinearizability.Operation> history = new ArrayList<>();
            for (SimWorkload.Op op : ops) {
                if (op.written.containsKey(key) && op.result != SimWorkload.Result.FAILED && op.result != null) {
                    long ret = op.result == SimWorkload.Result.OK ? op.ret : RegisterLinearizability.UNKNOWN;
                    history.add(RegisterLinearizability.Operation.write(op.written.get(key), op.call, ret));
                } else if (key.equals(op.readKey) && op.result == SimWorkload.Result.OK) {
                    history.add(RegisterLinearizability.Operation.read(op.read, op.call, op.ret));
                }
            }
            RegisterLinearizability.Result r = RegisterLinearizability.check(null, history);
            if (!r.linearizable()) {
                violations.add("key " + key + " is not linearizable: " + r.explanation());
            }
        }
        return violations;
    }

    /** The value of user key {@code key} in {@link #data} output, without its version. */
    private static String value(NavigableMap<String, String> data, String key) {
        String v = data.get("key '" + key + "'");
        return v == null ? null : v.substring(0, v.lastIndexOf(" @"));
    }
}
