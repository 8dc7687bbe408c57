package io.quarkiverse.level2pc.it.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.it.BenchCluster;

/**
 * An etcd cluster of {@code n} members on 127.0.0.1, each its own process with a client and a peer
 * port, started with a static {@code --initial-cluster} and etcd's defaults otherwise (the raft log is
 * fsynced before a write is acknowledged). Data and logs live under the cluster's directory; the
 * members are killed on {@link #close()} and, should the harness die first, by a shutdown hook.
 */
final class EtcdCluster implements AutoCloseable {

    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ERROR_LEVELS = Set.of("error", "dpanic", "panic", "fatal");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "etcd-killer"));
    }

    private record Member(String name, int clientPort, int peerPort, Path log, Process process) {
        URI clientUri() {
            return URI.create("http://127.0.0.1:" + clientPort);
        }
    }

    private final Path dir;
    private final List<Member> members;

    private EtcdCluster(Path dir, List<Member> members) {
        this.dir = dir;
        this.members = members;
    }

    /** Starts the members and returns once every one of them answers {@code GET /health} with {@code "health":"true"}. */
    static EtcdCluster start(Path binary, int size, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (int attempt = 1;; attempt++) {
            EtcdCluster c = launch(binary, size, dir, attempt);
            try {
                c.awaitHealthy();
                return c;
            } catch (PortTaken e) {
                c.close();
                if (attempt == START_ATTEMPTS) {
                    throw new IOException(e.getMessage() + ", " + START_ATTEMPTS + " times", e);
                }
                System.out.println("    " + e.getMessage() + "; trying other ports");
            } catch (IOException | InterruptedException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }

    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private static EtcdCluster launch(Path binary, int size, Path dir, int attempt) throws IOException {
        int[] ports = freePorts(2 * size);
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            peers.add("m" + i + "=http://127.0.0.1:" + ports[2 * i + 1]);
        }
        List<Member> members = new ArrayList<>();
        EtcdCluster cluster = new EtcdCluster(dir, members);
        try {
            for (int i = 0; i < size; i++) {
                String name = "m" + i;
                String client = "http://127.0.0.1:" + ports[2 * i];
                String peer = "http://127.0.0.1:" + ports[2 * i + 1];
                Path data = dir.resolve(name + (attempt == 1 ? "" : "-" + attempt));
                Path log = dir.resolve(data.getFileName() + ".log");
                ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--name", name, "--data-dir", data.toString(),
                        "--listen-client-urls", client, "--advertise-client-urls", client,
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--initial-cluster", String.join(",", peers), "--initial-cluster-state", "new",
                        "--initial-cluster-token", "bench-" + dir.getFileName() + "-" + attempt,
                        "--logger", "zap", "--log-outputs", "stderr")
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                // ETCD_* variables would set options too
                pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
                Process p = pb.start();
                LIVE.add(p);
                members.add(new Member(name, ports[2 * i], ports[2 * i + 1], log, p));
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void awaitHealthy() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        List<String> last = new ArrayList<>();
        while (true) {
            last.clear();
            for (Member m : members) {
                if (!m.process().isAlive()) {
                    String log = Files.exists(m.log()) ? Files.readString(m.log()) : "";
                    String message = "etcd member " + m.name() + " exited with " + m.process().exitValue()
                            + " while starting (log: " + m.log() + ")";
                    throw log.contains("address already in use") ? new PortTaken("a port of " + message + " was taken")
                            : new IOException(message + "; its last lines:\n" + tail(log, 10));
                }
                String answer;
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(m.clientUri().resolve("/health"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    answer = r.statusCode() + " " + r.body().trim();
                } catch (IOException e) {
                    answer = e.toString();
                }
                if (!answer.replace(" ", "").contains("\"health\":\"true\"")) {
                    last.add(m.name() + ": " + answer);
                }
            }
            if (last.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("etcd, " + members.size() + " member(s), not healthy " + START_TIMEOUT.toSeconds()
                        + " s after start: GET /health answered " + last + " (logs under " + dir + ")");
            }
            Thread.sleep(200);
        }
    }

    /** {@code http://127.0.0.1:<client port>} of every member, in order. */
    List<URI> baseUris() {
        return members.stream().map(Member::clientUri).toList();
    }

    Path dir() {
        return dir;
    }

    /** The CPU time all member processes have used so far, in nanoseconds (from the operating system). */
    long cpuNanos() {
        long total = 0;
        for (Member m : members) {
            total += m.process().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
        return total;
    }

    /** Throws if a member exited. */
    void checkAlive() {
        for (Member m : members) {
            if (!m.process().isAlive()) {
                throw new IllegalStateException("etcd member " + m.name() + " exited with " + m.process().exitValue()
                        + " (log: " + m.log() + ")");
            }
        }
    }

    /**
     * What the members logged at {@code warn} and above (zap's JSON lines), for the report: grouped by
     * level, caller and message like {@link NodeLogs#summary(String, List, List)}, each with its first line.
     */
    String logSummary(String label) throws IOException {
        Map<String, Object[]> groups = new LinkedHashMap<>();
        int warn = 0;
        int error = 0;
        for (Member m : members) {
            if (!Files.exists(m.log())) {
                continue;
            }
            for (String line : Files.readAllLines(m.log())) {
                JsonNode j;
                try {
                    j = line.startsWith("{") ? JSON.readTree(line) : null;
                } catch (IOException e) {
                    j = null;
                }
                String level = j == null ? "" : j.path("level").asText();
                if (!level.equals("warn") && !ERROR_LEVELS.contains(level)) {
                    continue;
                }
                if (level.equals("warn")) {
                    warn++;
                } else {
                    error++;
                }
                String key = level.toUpperCase(Locale.ROOT) + " [" + j.path("caller").asText("?") + "] " + j.path("msg").asText();
                Object[] g = groups.computeIfAbsent(key, k -> new Object[] { 0L, m.name() + ": " + line });
                g[0] = (Long) g[0] + 1;
            }
        }
        return NodeLogs.summary(label, warn, error, groups);
    }

    /** Kills every member ({@code kill -9}; the data stays for post-mortems). */
    @Override
    public void close() {
        for (Member m : members) {
            m.process().destroyForcibly();
        }
        for (Member m : members) {
            try {
                m.process().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LIVE.remove(m.process());
        }
    }

    static int[] freePorts(int n) throws IOException {
        return BenchCluster.freePorts(n);
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return all.subList(Math.max(0, all.size() - lines), all.size()).stream().collect(Collectors.joining("\n"));
    }
}
