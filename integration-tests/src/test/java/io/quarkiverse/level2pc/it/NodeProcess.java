package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.net.ServerSocket;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A node of the demo app running as a separate JVM ({@code target/quarkus-app/quarkus-run.jar}),
 * configured only by system properties, as an operator would start it. {@link #kill()} is
 * {@code kill -9}.
 * <p>
 * The port is fixed when the node is created (peers must know it before anyone starts), and stays
 * the same across restarts. Extra properties ({@link #property}, {@link #peers}) are set before
 * {@link #start()} / {@link #launch()}. Every JVM started here is also killed by a shutdown hook of
 * the test JVM, so an aborted test run leaves no node behind.
 */
final class NodeProcess implements AutoCloseable {

    static final Path APP = Path.of("target/quarkus-app");
    static final Path JAR = APP.resolve("quarkus-run.jar");
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /**
     * The native executable the nodes run instead of the JVM, with the {@code native} profile
     * ({@code ./mvnw verify -Dnative}, which builds it and sets {@code level2pc.it.runner=native}); {@code null} on the JVM.
     */
    static final Path NATIVE = "native".equals(System.getProperty("level2pc.it.runner"))
            ? Path.of(System.getProperty("native.image.path")).toAbsolutePath()
            : null;
    /** Small heap, quick start: what the tests need. */
    static final List<String> TEST_JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static Path snapshot;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LIVE.forEach(Process::destroyForcibly);
            deleteSnapshot();
        }, "kill-test-nodes"));
    }

    final String name;
    final Path dataDir;
    final int port;
    private final Path log;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private List<String> jvmOptions = TEST_JVM_OPTIONS;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private volatile boolean expectedAlive;

    NodeProcess(String name, Path dataDir) throws IOException {
        this(name, dataDir, freePort());
    }

    NodeProcess(String name, Path dataDir, int port) {
        this.name = name;
        this.dataDir = dataDir;
        this.port = port;
        this.log = dataDir.resolveSibling(name + ".log");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Distinct free ports, chosen before any node starts. */
    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** An extra {@code -Dkey=value} for the node's JVM (applies from the next start). */
    NodeProcess property(String key, String value) {
        properties.put(key, value);
        return this;
    }

    /** Replaces {@link #TEST_JVM_OPTIONS} (applies from the next start). */
    NodeProcess jvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** Sets {@code quarkus.level-2pc.peers} to the base URLs of {@code others}. */
    NodeProcess peers(List<NodeProcess> others) {
        List<String> urls = new ArrayList<>();
        for (NodeProcess o : others) {
            urls.add(o.baseUrl());
        }
        if (urls.isEmpty()) {
            properties.remove("quarkus.level-2pc.peers");
            return this;
        }
        return property("quarkus.level-2pc.peers", String.join(",", urls));
    }

    /** The base URL peers use to reach this node, e.g. {@code http://127.0.0.1:40123}. */
    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    Path logFile() {
        return log;
    }

    /** Starts the JVM and waits until the readiness check answers UP. */
    NodeProcess start() throws IOException {
        launch();
        awaitReady(START_TIMEOUT);
        return this;
    }

    /**
     * The jar the nodes run: a private copy of {@code target/quarkus-app}, taken once per test JVM, so
     * that a rebuild of the application while nodes run (or between a kill and a restart) cannot pull
     * classes from under them or mix versions within a cluster.
     */
    static synchronized Path jar() throws IOException {
        if (snapshot == null) {
            if (!Files.exists(JAR)) {
                throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: run the package phase first");
            }
            Path target = Path.of("target", "cluster-runs", "app-" + ProcessHandle.current().pid() + "-" + System.nanoTime())
                    .toAbsolutePath();
            for (int attempt = 0;; attempt++) {
                Map<Path, Long> before = listing(APP);
                copyTree(APP, target);
                if (before.equals(listing(APP)) && before.equals(listing(target))) {
                    break;
                }
                if (attempt == 5) {
                    throw new IllegalStateException(APP.toAbsolutePath() + " keeps changing while it is copied (a build running?)");
                }
                deleteTree(target);
            }
            snapshot = target;
        }
        return snapshot.resolve("quarkus-run.jar");
    }

    private static Map<Path, Long> listing(Path root) throws IOException {
        Map<Path, Long> files = new java.util.TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    files.put(root.relativize(p), Files.size(p) ^ Files.getLastModifiedTime(p).toMillis() << 20);
                }
            }
        }
        return files;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: it lives under target/
        }
    }

    private static synchronized void deleteSnapshot() {
        deleteTree(snapshot);
    }

    /** Starts the JVM without waiting for it (a node of a cluster is ready only once its peers answer). */
    NodeProcess launch() throws IOException {
        Path jar = NATIVE != null ? NATIVE : jar();
        if (isAlive()) {
            throw new IllegalStateException("node " + name + " is already running");
        }
        Files.createDirectories(dataDir.getParent());
        List<String> cmd = new ArrayList<>();
        if (NATIVE != null) {
            // a native executable takes system properties and heap sizes, not the JVM's other options (agents, JIT)
            cmd.add(NATIVE.toString());
            jvmOptions.stream().filter(o -> o.startsWith("-Xm")).forEach(cmd::add);
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
        }
        cmd.addAll(List.of(
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.level-2pc.node-name=" + name,
                "-Dquarkus.level-2pc.path=" + dataDir));
        for (Map.Entry<String, String> p : properties.entrySet()) {
            cmd.add("-D" + p.getKey() + "=" + p.getValue());
        }
        if (NATIVE == null) {
            cmd.addAll(List.of("-jar", jar.toString()));
        }
        Files.writeString(log, "=== " + java.time.Instant.now() + " starting node " + name + " on port " + port + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        LIVE.add(process);
        expectedAlive = true;
        return this;
    }

    /** Waits until the node takes writes ({@code GET /q/health/group/level-2pc-writes} answers 200); fails at once if the JVM exits. */
    NodeProcess awaitReady(Duration atMost) {
        try {
            Awaitility.await("node " + name + " ready on port " + port)
                    .atMost(atMost)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        checkNotExited();
                        return status(DemoClient.WRITES_HEALTH) == 200;
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + "; log of " + name + ":\n" + logTail(200), e);
        }
        return this;
    }

    /** Throws if the node was launched and has exited without being stopped or killed by the test. */
    void checkNotExited() {
        Process p = process;
        if (expectedAlive && p != null && !p.isAlive()) {
            throw new IllegalStateException("node " + name + " exited with " + p.exitValue()
                    + (p.exitValue() == 143 ? " (SIGTERM, not sent by this test: another process killed it)" : "") + "; log:\n"
                    + logTail(200));
        }
    }

    /** Whether the node was launched and not stopped or killed since (it may still be starting). */
    boolean isLaunched() {
        return expectedAlive;
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    int status(String path) {
        try {
            return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** {@code kill -9}: no shutdown hook, no flush, no close. */
    void kill() throws InterruptedException {
        expectedAlive = false;
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + name + " did not die");
        }
        LIVE.remove(process);
    }

    /** The operating-system process id of the running (or last) JVM. */
    long pid() {
        return process.pid();
    }

    /** {@code kill -STOP}: the JVM freezes (no thread runs, sockets stay open) until {@link #resume()}. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** {@code kill -CONT} after {@link #pause()}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " (node " + name + ") failed: " + out);
        }
    }

    /**
     * Waits until the JVM exits by itself (e.g. a crash point halts it) and returns its exit code;
     * from then on the node counts as stopped. Throws if it is still running after {@code atMost}.
     */
    int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("node " + name + " did not exit within " + atMost);
        }
        expectedAlive = false;
        LIVE.remove(process);
        return process.exitValue();
    }

    /** A graceful stop (SIGTERM): the node closes its store. */
    void stop() throws InterruptedException {
        expectedAlive = false;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            LIVE.remove(process);
            throw new IllegalStateException("node " + name + " did not stop within 30 s");
        }
        LIVE.remove(process);
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The last {@code lines} lines of the node's log, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.exists(log)
                    ? new String(Files.readAllBytes(log), java.nio.charset.StandardCharsets.UTF_8).lines().toList()
                    : List.of();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        return "node " + name + " (" + baseUrl() + ", data " + dataDir + ", log " + log + ")";
    }
}
