package io.quarkiverse.level2pc.it.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The harness's parameters, from system properties {@code bench.*} (Maven passes {@code -D} options of
 * its command line on to the test JVM).
 */
record BenchParams(List<Integer> nodes, int etcd, List<Integer> clients, List<Workload> workloads, Duration duration,
        Duration warmup, Duration idle, int keys, int valueSize, int accounts, long seed, boolean baseline,
        List<String> nodeJvmOptions) {

    static final String DEFAULT_NODES = "1,3";
    static final int DEFAULT_ETCD = 3;
    static final int MAX_ETCD = 9;
    static final String DEFAULT_CLIENTS = "1,16,64";
    static final String DEFAULT_WORKLOADS = "put,batch,bank,hot-bank,get,mixed,ping";
    static final String DEFAULT_DURATION = "7s";
    static final String DEFAULT_WARMUP = "3s";
    static final String DEFAULT_IDLE = "10s";
    static final int DEFAULT_KEYS = 10_000;
    static final int DEFAULT_VALUE_SIZE = 100;
    static final int DEFAULT_ACCOUNTS = 1_000;
    static final long DEFAULT_SEED = 42;
    static final String DEFAULT_NODE_JVM_OPTIONS = "-Xmx512m";

    BenchParams {
        if (nodes.isEmpty() && !baseline && etcd == 0) {
            throw new IllegalArgumentException("nothing to measure: no node counts, no etcd and no baseline");
        }
        if (etcd < 0 || etcd > MAX_ETCD) {
            throw new IllegalArgumentException("bench.etcd must be a member count between 1 and " + MAX_ETCD
                    + ", or 0 or none to leave etcd out, got " + etcd);
        }
        for (int n : nodes) {
            if (n < 1 || n > 26) {
                throw new IllegalArgumentException("bench.nodes must be between 1 and 26, got " + n);
            }
        }
        for (int c : clients) {
            if (c < 1) {
                throw new IllegalArgumentException("bench.clients must be positive, got " + c);
            }
        }
        if (clients.isEmpty() || workloads.isEmpty()) {
            throw new IllegalArgumentException("bench.clients and bench.workloads must not be empty");
        }
        if (duration.isZero() || duration.isNegative() || warmup.isNegative() || idle.isNegative()) {
            throw new IllegalArgumentException("bench.duration must be positive, bench.warmup and bench.idle not negative");
        }
        if (keys < 1 || valueSize < 1 || accounts < 2) {
            throw new IllegalArgumentException("bench.keys and bench.value-size must be positive, bench.accounts at least 2");
        }
        if (workloads.contains(Workload.HOT_BANK) && accounts < Workload.HOT_BANK_ACCOUNTS) {
            throw new IllegalArgumentException("hot-bank transfers between the first " + Workload.HOT_BANK_ACCOUNTS
                    + " accounts: bench.accounts must be at least " + Workload.HOT_BANK_ACCOUNTS + ", got " + accounts);
        }
    }

    static BenchParams fromSystemProperties() {
        return from(System::getProperty);
    }

    static BenchParams from(Function<String, String> properties) {
        Function<String, String> p = name -> {
            String v = properties.apply(name);
            return v == null || v.isBlank() ? null : v.trim();
        };
        return new BenchParams(
                ints(or(p.apply("bench.nodes"), DEFAULT_NODES)),
                members(or(p.apply("bench.etcd"), String.valueOf(DEFAULT_ETCD))),
                ints(or(p.apply("bench.clients"), DEFAULT_CLIENTS)),
                Arrays.stream(or(p.apply("bench.workloads"), DEFAULT_WORKLOADS).split(",")).map(Workload::parse).distinct()
                        .toList(),
                duration(or(p.apply("bench.duration"), DEFAULT_DURATION)),
                duration(or(p.apply("bench.warmup"), DEFAULT_WARMUP)),
                p.apply("bench.idle") != null && p.apply("bench.idle").equals("0") ? Duration.ZERO
                        : duration(or(p.apply("bench.idle"), DEFAULT_IDLE)),
                Integer.parseInt(or(p.apply("bench.keys"), String.valueOf(DEFAULT_KEYS))),
                Integer.parseInt(or(p.apply("bench.value-size"), String.valueOf(DEFAULT_VALUE_SIZE))),
                Integer.parseInt(or(p.apply("bench.accounts"), String.valueOf(DEFAULT_ACCOUNTS))),
                Long.parseLong(or(p.apply("bench.seed"), String.valueOf(DEFAULT_SEED))),
                Boolean.parseBoolean(or(p.apply("bench.baseline"), "true")),
                words(properties.apply("bench.node-jvm-options") == null ? DEFAULT_NODE_JVM_OPTIONS
                        : properties.apply("bench.node-jvm-options")));
    }

    /** The parameters as {@code -D} options, in the order they are documented. */
    Map<String, String> asProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bench.nodes", join(nodes));
        m.put("bench.etcd", etcd == 0 ? "none" : String.valueOf(etcd));
        m.put("bench.clients", join(clients));
        m.put("bench.workloads", String.join(",", workloads.stream().map(Workload::label).toList()));
        m.put("bench.duration", format(duration));
        m.put("bench.warmup", format(warmup));
        m.put("bench.idle", format(idle));
        m.put("bench.keys", String.valueOf(keys));
        m.put("bench.value-size", String.valueOf(valueSize));
        m.put("bench.accounts", String.valueOf(accounts));
        m.put("bench.seed", String.valueOf(seed));
        m.put("bench.baseline", String.valueOf(baseline));
        m.put("bench.node-jvm-options", String.join(" ", nodeJvmOptions));
        return m;
    }

    /** Cells to measure: every workload, client count and target (the baseline and etcd only where they have it). */
    int cellCount() {
        long withBaseline = workloads.stream().filter(w -> w.hasBaseline).count();
        long onEtcd = workloads.stream().filter(w -> w.onEtcd).count();
        return clients.size() * (workloads.size() * nodes.size() + (baseline ? (int) withBaseline : 0)
                + (etcd > 0 ? (int) onEtcd : 0));
    }

    /** The etcd target, if any. */
    java.util.Optional<Target> etcdTarget() {
        return etcd == 0 ? java.util.Optional.empty() : java.util.Optional.of(Target.etcd(etcd));
    }

    /** {@code bench.etcd}: a member count, {@code 0} or {@code none} for no etcd. */
    static int members(String s) {
        if (s.equalsIgnoreCase("none")) {
            return 0;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bench.etcd must be a member count between 1 and " + MAX_ETCD
                    + ", or 0 or none to leave etcd out, got '" + s + "'");
        }
    }

    /** Accepts {@code 10s}, {@code 500ms}, {@code 2m}, or an ISO-8601 duration such as {@code PT10S}. */
    static Duration duration(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.startsWith("pt")) {
                return Duration.parse(t);
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
            if (t.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (examples: 10s, 500ms, 2m)", e);
        }
        throw new IllegalArgumentException("not a duration: '" + s + "' (examples: 10s, 500ms, 2m)");
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** A comma-separated list of numbers; {@code none} is the empty list. */
    private static List<Integer> ints(String s) {
        List<Integer> out = new ArrayList<>();
        if (s.equalsIgnoreCase("none")) {
            return List.of();
        }
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                int v = Integer.parseInt(part.trim());
                if (!out.contains(v)) {
                    out.add(v);
                }
            }
        }
        return List.copyOf(out);
    }

    private static List<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    private static String join(List<Integer> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }

    private static String or(String value, String fallback) {
        return value == null ? fallback : value;
    }
}
