package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.it.GuideScript.Block;
import io.quarkiverse.level2pc.it.GuideScript.Kind;

/**
 * The 3-node guide ({@code docs/modules/ROOT/pages/cluster.adoc}) run as written: every shell block,
 * in order, in one {@code bash} session (so exported variables, background nodes and PID files carry
 * over as they do for a reader in one terminal), in a fresh directory laid out like the clone (the
 * built demo app at {@code integration-tests/target/quarkus-app/}, the guide's {@code data/} empty),
 * with the guide's ports (8081–8083, 8441–8443) and the default settings. Each output the guide shows
 * is compared with what really came out ({@link GuideScript} says how, and what is ignored: timings,
 * paths, ...); a command that fails (non-zero status outside a condition) fails the test.
 * <p>
 * The session's files stay under {@code target/guide-runs/<time>/} ({@code .guide/step-<line>.sh} and
 * {@code .out} per block, the nodes' logs under {@code data/}). Every process the session started is
 * killed at the end, whatever happened.
 */
class ClusterGuideIT {

    static final Path GUIDE = Path.of("..", "docs", "modules", "ROOT", "pages", "cluster.adoc");
    static final int[] GUIDE_PORTS = { 8081, 8082, 8083, 8441, 8442, 8443 };
    /** Longest a block may run: a start waits for JVMs, a quorum write for promises (about 6 s). */
    static final Duration STEP_TIMEOUT = Duration.ofMinutes(3);
    static final Duration LOG_TIMEOUT = Duration.ofSeconds(60);
    private static final String DONE = "__GUIDE_STEP_DONE__";
    /**
     * How a non-interactive bash reports a background job killed by a signal ({@code kill -9} of a
     * node): a terminal's shell reports it at its next prompt instead ({@code [3]+ Killed ...}), which
     * the guide mentions but does not show as output.
     */
    private static final Pattern JOB_REPORT = Pattern.compile("(?m)^\\S+: line \\d+: +\\d+ Killed .*\\R?");

    /** Extra checks named by {@code check=<name>} in the guide, on the block's actual output. */
    private static final Map<String, java.util.function.Consumer<List<String>>> CHECKS = Map.of(
            "bank-transfers", ClusterGuideIT::checkConcurrentTransfers);

    @Test
    void theClusterGuideRunsAsWritten() throws Exception {
        List<Block> blocks = GuideScript.read(GUIDE);
        assertThat(blocks).as("blocks of %s", GUIDE).isNotEmpty();
        for (int port : GUIDE_PORTS) {
            assertPortFree(port);
        }
        Path run = Path.of("target", "guide-runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))
                .toAbsolutePath();
        Path app = NodeProcess.jar().getParent();
        Files.createDirectories(run.resolve("integration-tests/target"));
        Files.createSymbolicLink(run.resolve("integration-tests/target/quarkus-app"), app);
        Path steps = Files.createDirectories(run.resolve(".guide"));
        String root = run.toRealPath().toString();

        ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc").directory(run.toFile())
                .redirectError(steps.resolve("bash.stderr").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("QUARKUS_") || k.equals("JAVA_TOOL_OPTIONS"));
        // The outputs go to files here, to a terminal for a reader: curl shows its progress meter only
        // when its output is not a terminal, so it is turned off the way a reader never sees it.
        Files.writeString(steps.resolve(".curlrc"), "no-progress-meter\n");
        pb.environment().put("CURL_HOME", steps.toString());
        Process bash = pb.start();
        Set<ProcessHandle> started = new LinkedHashSet<>();
        BlockingQueue<String> markers = new ArrayBlockingQueue<>(16);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null;) {
                    markers.add(l);
                }
            } catch (IOException e) {
                // the session ended: the step waiting for its marker times out or sees the exit
            }
        }, "guide-bash-stdout");
        reader.setDaemon(true);
        reader.start();

        int ran = 0;
        int checked = 0;
        List<String> skipped = new ArrayList<>();
        long begin = System.nanoTime();
        try (Writer in = new OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8)) {
            // Any command that fails outside a condition is recorded with its status (set -E: in subshells too).
            Path errors = steps.resolve("errors");
            in.write("set -E; trap 'echo \"$BASH_COMMAND -> status $?\" >> \"" + errors + "\"' ERR\n");
            String lastOutput = null;
            Block lastRun = null;
            Map<String, LogMark> logMarks = new HashMap<>();
            Kind previous = null;
            for (Block block : blocks) {
                switch (block.kind()) {
                    case SKIP -> skipped.add("cluster.adoc:" + block.line() + " (" + block.reason() + ")");
                    case RUN -> {
                        if (previous != Kind.RUN) {
                            // Consecutive shell blocks (start a node, then wait for it) share one mark.
                            logMarks = logMarks(run.resolve("data"));
                        }
                        lastOutput = runStep(bash, in, markers, steps, block, errors);
                        lastRun = block;
                        started.addAll(bash.descendants().toList());
                        ran++;
                    }
                    case OUTPUT, OUTPUT_CONTAINS -> {
                        assertThat(lastRun).as("%s follows no shell block", block).isNotNull();
                        List<String> shown = GuideScript.normalize(block.script(), null, block.numbers());
                        List<String> actual = GuideScript.normalize(lastOutput, root, block.numbers());
                        Optional<String> diff = block.kind() == Kind.OUTPUT ? GuideScript.compareExact(shown, actual)
                                : GuideScript.compareInOrder(shown, actual);
                        if (diff.isPresent()) {
                            throw new AssertionError("The guide shows another output than " + lastRun + " printed (" + block
                                    + "): " + diff.get() + "\n--- printed:\n" + lastOutput);
                        }
                        if (block.check() != null) {
                            CHECKS.get(block.check()).accept(GuideScript.normalize(lastOutput, root, false));
                        }
                        checked++;
                    }
                    case LOG -> {
                        checkLog(run, root, block, logMarks);
                        checked++;
                    }
                }
                if (block.kind() != Kind.SKIP) {
                    previous = block.kind();
                }
            }
        } finally {
            started.addAll(bash.descendants().toList());
            killAll(run, started);
            bash.destroyForcibly();
        }
        System.out.printf("ClusterGuideIT: %d shell blocks run, %d shown outputs checked, %d blocks skipped %s, in %d s (%s)%n",
                ran, checked, skipped.size(), skipped, (System.nanoTime() - begin) / 1_000_000_000, run);
        assertThat(ran).as("shell blocks run").isGreaterThan(20);
        assertThat(checked).as("outputs checked").isGreaterThan(15);
    }

    private static String runStep(Process bash, Writer in, BlockingQueue<String> markers, Path steps, Block block, Path errors)
            throws IOException, InterruptedException {
        Path script = steps.resolve("step-" + block.line() + ".sh");
        Path out = steps.resolve("step-" + block.line() + ".out");
        Files.writeString(script, block.script());
        in.write("{ source '" + script + "'; } > '" + out + "' 2>&1 < /dev/null; echo " + DONE + " " + block.line() + "\n");
        in.flush();
        String marker = markers.poll(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        String printed = Files.exists(out) ? JOB_REPORT.matcher(Files.readString(out)).replaceAll("") : "";
        if (marker == null) {
            throw new AssertionError(block + " did not finish within " + STEP_TIMEOUT + " (bash "
                    + (bash.isAlive() ? "still running" : "exited " + bash.exitValue()) + "); printed so far:\n" + printed
                    + "\n--- block:\n" + block.script());
        }
        assertThat(marker).isEqualTo(DONE + " " + block.line());
        if (Files.exists(errors) && Files.size(errors) > 0) {
            String failed = Files.readString(errors);
            throw new AssertionError(block + " ran a command that failed: " + failed + "--- printed:\n" + printed
                    + "\n--- block:\n" + block.script());
        }
        return printed;
    }

    /** Each shown line appears (awaited) in what the file got since the last shell block started. */
    private static void checkLog(Path run, String root, Block block, Map<String, LogMark> marks) {
        Path file = run.resolve(block.file());
        List<String> shown = GuideScript.normalizeLog(block.script(), null, block.numbers());
        String[] lastDiff = { "" };
        try {
            Awaitility.await(block.toString()).atMost(LOG_TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
                List<String> actual = GuideScript.normalizeLog(since(file, marks.get(block.file())), root,
                        block.numbers());
                Optional<String> diff = GuideScript.compareAnyOrder(shown, actual);
                lastDiff[0] = diff.orElse("");
                return diff.isEmpty();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("The guide shows log lines that " + block.file() + " did not get within " + LOG_TIMEOUT
                    + " (" + block + "): " + lastDiff[0] + "\n--- the file since the last shell block:\n"
                    + since(file, marks.get(block.file())));
        }
    }

    /** How far a log file was written when a shell block started, and how it began then. */
    record LogMark(long size, String head) {

        static final int HEAD = 200;

        static LogMark of(byte[] content) {
            return new LogMark(content.length, head(content));
        }

        static String head(byte[] content) {
            return new String(content, 0, Math.min(HEAD, content.length), StandardCharsets.UTF_8);
        }
    }

    /** What {@code file} got since {@code mark}: all of it if it was rewritten since (a restarted node, {@code >}). */
    private static String since(Path file, LogMark mark) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            byte[] all = Files.readAllBytes(file);
            boolean sameFile = mark != null && all.length >= mark.size()
                    && LogMark.head(all).startsWith(mark.head().substring(0, (int) Math.min(mark.head().length(), all.length)));
            int from = sameFile ? (int) mark.size() : 0;
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, LogMark> logMarks(Path data) throws IOException {
        Map<String, LogMark> marks = new HashMap<>();
        if (Files.isDirectory(data)) {
            try (Stream<Path> files = Files.list(data)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (f.toString().endsWith(".log")) {
                        marks.put("data/" + f.getFileName(), LogMark.of(Files.readAllBytes(f)));
                    }
                }
            }
        }
        return marks;
    }

    /** Section 6: the 60 concurrent transfers are all answered 200 or 409, and exactly the 200s moved money. */
    private static void checkConcurrentTransfers(List<String> printed) {
        Pattern count = Pattern.compile("^\\s*(\\d+) (\\d{3})$");
        Pattern node = Pattern.compile("^(\\d+): \\{\"accounts\":2,\"total\":105\\} \\{\"id\":\"alice\",\"balance\":(\\d+)\\}"
                + " \\{\"id\":\"bob\",\"balance\":(\\d+)\\}$");
        int answered = 0;
        int committed = 0;
        Set<String> balances = new LinkedHashSet<>();
        for (String line : printed) {
            Matcher c = count.matcher(line);
            Matcher n = node.matcher(line);
            if (c.matches()) {
                int status = Integer.parseInt(c.group(2));
                assertThat(status).as("status of a transfer: %s", line).isIn(200, 409);
                answered += Integer.parseInt(c.group(1));
                committed += status == 200 ? Integer.parseInt(c.group(1)) : 0;
            } else if (n.matches()) {
                balances.add(n.group(2) + "/" + n.group(3));
            } else {
                throw new AssertionError("unexpected line among the transfers' results: " + line);
            }
        }
        assertThat(answered).as("transfers answered").isEqualTo(60);
        assertThat(balances).as("alice/bob on the three nodes").containsExactly((70 - committed) + "/" + (35 + committed));
    }

    private static void assertPortFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("0.0.0.0", port));
        } catch (IOException e) {
            throw new AssertionError("port " + port + " is taken; the cluster guide uses 8081-8083 and 8441-8443: " + e);
        }
    }

    /** Every process the session started (nodes included, whatever their state), then the PID files' ones. */
    private static void killAll(Path run, Set<ProcessHandle> started) {
        for (ProcessHandle p : started) {
            p.destroyForcibly();
        }
        Path data = run.resolve("data");
        if (Files.isDirectory(data)) {
            try (Stream<Path> files = Files.list(data)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (f.toString().endsWith(".pid")) {
                        // Only a node of the guide: a PID of a node that died long ago may belong to another process now.
                        ProcessHandle.of(Long.parseLong(Files.readString(f).trim()))
                                .filter(p -> p.info().commandLine().orElse("").contains("quarkus-run.jar"))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                System.out.println("ClusterGuideIT: could not read the PID files: " + e);
            }
        }
        for (ProcessHandle p : started) {
            p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> p).join();
        }
    }
}
