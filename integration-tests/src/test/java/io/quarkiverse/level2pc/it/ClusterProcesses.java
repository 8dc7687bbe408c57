package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A cluster of demo-app nodes ({@code a}, {@code b}, {@code c}, ...), each a separate JVM on
 * loopback, all sharing one random cluster secret. Ports are chosen before anything starts, so every
 * node is configured with the others as peers. {@link #start} returns once every node is ready.
 * <p>
 * Data and logs live under {@code target/cluster-runs/<label>-<time>/} (kept for post-mortems).
 * Register {@link LogsOnFailure} on a test class to get the tail of every node's log printed when a
 * test fails.
 */
final class ClusterProcesses implements AutoCloseable {

    private static final Set<ClusterProcesses> OPEN = ConcurrentHashMap.newKeySet();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    final String label;
    final Path dir;
    final String secret;
    private final List<NodeProcess> nodes;

    private ClusterProcesses(String label, Path dir, String secret, List<NodeProcess> nodes) {
        this.label = label;
        this.dir = dir;
        this.secret = secret;
        this.nodes = nodes;
    }

    /** Three nodes with default settings. */
    static ClusterProcesses start(String label) throws IOException {
        return start(label, 3, Map.of());
    }

    /**
     * Starts {@code size} nodes, each with every other as a peer and {@code properties} as extra
     * system properties, and waits until all are ready. On failure every started JVM is killed.
     */
    static ClusterProcesses start(String label, int size, Map<String, String> properties) throws IOException {
        return start(label, size, properties, NodeProcess.TEST_JVM_OPTIONS);
    }

    /** As {@link #start(String, int, Map)}, with {@code jvmOptions} instead of {@link NodeProcess#TEST_JVM_OPTIONS}. */
    static ClusterProcesses start(String label, int size, Map<String, String> properties, List<String> jvmOptions)
            throws IOException {
        return start(label, size, properties, jvmOptions, Map.of());
    }

    /** As {@link #start(String, int, Map, List)}, with extra properties for some nodes (by index), set last. */
    static ClusterProcesses start(String label, int size, Map<String, String> properties, List<String> jvmOptions,
            Map<Integer, Map<String, String>> nodeProperties) throws IOException {
        return start(label, size, properties, jvmOptions, ports -> nodeProperties);
    }

    /**
     * As {@link #start(String, int, Map, List, Map)}, the extra properties computed from the nodes' ports once
     * they are chosen (e.g. peers reached through proxies to those ports).
     */
    static ClusterProcesses start(String label, int size, Map<String, String> properties, List<String> jvmOptions,
            java.util.function.Function<int[], Map<Integer, Map<String, String>>> nodeProperties) throws IOException {
        for (int attempt = 1;; attempt++) {
            try {
                return startOnce(label, size, properties, jvmOptions, nodeProperties);
            } catch (PortTaken e) {
                // Another process took a port between choosing and binding it (other test JVMs share loopback).
                if (attempt == 3) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                System.out.println("[" + label + "] " + e.getMessage() + "; trying other ports");
            }
        }
    }

    private static final class PortTaken extends RuntimeException {
        PortTaken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static ClusterProcesses startOnce(String label, int size, Map<String, String> properties, List<String> jvmOptions,
            java.util.function.Function<int[], Map<Integer, Map<String, String>>> nodePropertiesFor) throws IOException {
        Path dir = Path.of("target", "cluster-runs", label + "-" + LocalDateTime.now().format(STAMP)).toAbsolutePath();
        Files.createDirectories(dir);
        byte[] s = new byte[16];
        new SecureRandom().nextBytes(s);
        String secret = HexFormat.of().formatHex(s);
        int[] ports = NodeProcess.freePorts(size);
        Map<Integer, Map<String, String>> nodeProperties = nodePropertiesFor.apply(ports);
        List<NodeProcess> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String name = String.valueOf((char) ('a' + i));
            nodes.add(new NodeProcess(name, dir.resolve(name), ports[i]));
        }
        for (NodeProcess n : nodes) {
            n.peers(nodes.stream().filter(o -> o != n).toList())
                    .property("quarkus.level-2pc.cluster-secret", secret)
                    .jvmOptions(jvmOptions);
            properties.forEach(n::property);
            nodeProperties.getOrDefault(nodes.indexOf(n), Map.of()).forEach(n::property);
        }
        ClusterProcesses cluster = new ClusterProcesses(label, dir, secret, nodes);
        OPEN.add(cluster);
        long t0 = System.nanoTime();
        try {
            for (NodeProcess n : nodes) {
                n.launch();
            }
            cluster.awaitAllReady(NodeProcess.START_TIMEOUT);
        } catch (RuntimeException | IOException | Error e) {
            cluster.close();
            for (NodeProcess n : nodes) {
                String log = n.logTail(400);
                if (log.contains("seems to be in use by another process") || log.contains("Address already in use")) {
                    throw new PortTaken("port " + n.port + " of node " + n.name + " was taken by another process", e);
                }
            }
            throw e;
        }
        System.out.printf("[%s] cluster of %d nodes ready in %d ms: %s%n", label, size, (System.nanoTime() - t0) / 1_000_000,
                cluster.describe());
        return cluster;
    }

    NodeProcess node(int i) {
        return nodes.get(i);
    }

    List<NodeProcess> nodes() {
        return nodes;
    }

    int size() {
        return nodes.size();
    }

    /** Waits until every launched node answers ready; fails at once if one of them exits. */
    void awaitAllReady(Duration atMost) {
        List<NodeProcess> launched = nodes.stream().filter(NodeProcess::isLaunched).toList();
        try {
            Awaitility.await("[" + label + "] nodes " + launched.stream().map(n -> n.name).toList() + " ready")
                    .atMost(atMost)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        boolean all = true;
                        for (NodeProcess n : launched) {
                            n.checkNotExited();
                            all &= n.status(DemoClient.WRITES_HEALTH) == 200;
                        }
                        return all;
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + logTails(100), e);
        }
    }

    /** {@code kill -9} of node {@code i}. */
    NodeProcess kill(int i) throws InterruptedException {
        NodeProcess n = nodes.get(i);
        n.kill();
        return n;
    }

    /** Graceful stop (SIGTERM) of node {@code i}. */
    NodeProcess stop(int i) throws InterruptedException {
        NodeProcess n = nodes.get(i);
        n.stop();
        return n;
    }

    /** Starts node {@code i} again (same port, same data) and waits until every node is ready. */
    NodeProcess restart(int i) throws IOException {
        NodeProcess n = nodes.get(i);
        n.launch();
        awaitAllReady(NodeProcess.START_TIMEOUT);
        return n;
    }

    String describe() {
        StringBuilder b = new StringBuilder(dir.toString());
        for (NodeProcess n : nodes) {
            b.append("\n  ").append(n);
        }
        return b.toString();
    }

    String logTails(int lines) {
        StringBuilder b = new StringBuilder();
        for (NodeProcess n : nodes) {
            b.append("\n----- last ").append(lines).append(" lines of ").append(n).append(" -----\n").append(n.logTail(lines));
        }
        return b.toString();
    }

    /** Kills every node; never throws before all are dead. */
    @Override
    public void close() {
        OPEN.remove(this);
        RuntimeException failure = null;
        for (NodeProcess n : nodes) {
            try {
                n.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Prints the tail of every open cluster's node logs when a test fails. */
    static final class LogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            for (ClusterProcesses c : OPEN) {
                System.out.println("[" + c.label + "] " + context.getDisplayName() + " failed; node logs:" + c.logTails(80));
            }
        }
    }
}
