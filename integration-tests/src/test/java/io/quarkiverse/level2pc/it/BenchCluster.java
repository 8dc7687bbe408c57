package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The part of {@link ClusterProcesses} the benchmark harness ({@code io.quarkiverse.level2pc.it.bench})
 * needs, public: start {@code size} demo-app JVMs on loopback with the given JVM options, their base
 * URIs, their logs.
 */
public final class BenchCluster implements AutoCloseable {

    private final ClusterProcesses cluster;

    private BenchCluster(ClusterProcesses cluster) {
        this.cluster = cluster;
    }

    /** Starts the nodes and returns once every one of them takes writes ({@code /q/health/group/level-2pc-writes} answers 200). */
    public static BenchCluster start(String label, int size, List<String> jvmOptions) throws IOException {
        return new BenchCluster(ClusterProcesses.start(label, size, Map.of(), jvmOptions));
    }

    /** {@code http://127.0.0.1:<port>} of every node, in order ({@code a}, {@code b}, ...). */
    /** The CPU time all node processes have used so far, in nanoseconds (from the operating system). */
    public long cpuNanos() {
        long total = 0;
        for (NodeProcess n : cluster.nodes()) {
            total += ProcessHandle.of(n.pid()).flatMap(p -> p.info().totalCpuDuration()).map(java.time.Duration::toNanos)
                    .orElse(0L);
        }
        return total;
    }

    public List<URI> baseUris() {
        return cluster.nodes().stream().map(n -> URI.create(n.baseUrl())).toList();
    }

    /** Distinct free ports on loopback (for other servers the harness starts, e.g. etcd members). */
    public static int[] freePorts(int n) throws IOException {
        return NodeProcess.freePorts(n);
    }

    /** Data directories and logs live here. */
    public Path dir() {
        return cluster.dir;
    }

    /** Lines of every node's log that contain {@code text}, prefixed with the node's name. */
    public List<String> logLinesContaining(String text) throws IOException {
        List<String> found = new java.util.ArrayList<>();
        for (NodeProcess n : cluster.nodes()) {
            n.logText().lines().filter(l -> l.contains(text)).forEach(l -> found.add(n.name + ": " + l));
        }
        return found;
    }

    /** Throws if a node exited on its own. */
    public void checkNodesAlive() {
        cluster.nodes().forEach(NodeProcess::checkNotExited);
    }

    public String describe() {
        return cluster.describe();
    }

    /** Kills every node ({@code kill -9}; the data stays for post-mortems). */
    @Override
    public void close() {
        cluster.close();
    }
}
