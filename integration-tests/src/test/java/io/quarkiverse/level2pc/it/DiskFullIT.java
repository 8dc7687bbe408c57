package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * A full disk, for real: node {@code c} keeps its data on a 40 MB tmpfs; 64 KB values written through
 * {@code a} fill it. The write that cannot be stored fails with 503 naming the cause and is applied
 * nowhere; {@code c}'s writes health check turns DOWN saying why (its readiness stays UP, as it serves reads); {@code c} still serves the keys it committed
 * (a key whose commit it could not store answers 503 until it restarts, never an old value).
 * The filesystem then grows, {@code c} is restarted (what the operations page tells an operator), and
 * the cluster takes writes again with every acknowledged write on every node and nothing left in doubt.
 * <p>
 * Needs root (mount); skipped with a message where {@code mount -t tmpfs} is not allowed.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class DiskFullIT {

    /**
     * How a full disk reaches the node: the file system's error, or, when the write that hit it went through iq80's
     * memory-mapped log, the JVM's report of the SIGBUS that follows (a clean-clone CI run saw the second).
     */
    private static final String[] FULL_DISK = { "No space left on device",
            "a fault occurred in a recent unsafe memory access operation" };

    static final int VALUE_SIZE = 64 * 1024;

    @Test
    void aFullDiskStopsWritesCleanlyKeepsReadsAndARestartBringsTheNodeBack() throws Exception {
        Path mount = Path.of("target", "disk-full", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")))
                .toAbsolutePath();
        Files.createDirectories(mount);
        String mounted = run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mount.toString());
        Assumptions.assumeTrue(mounted == null, () -> "DiskFullIT skipped: cannot mount a small tmpfs here (needs root): " + mounted);
        try (ClusterProcesses cluster = ClusterProcesses.start("disk-full", 3, Map.of(), NodeProcess.TEST_JVM_OPTIONS,
                Map.of(2, Map.of("quarkus.level-2pc.path", mount.resolve("c").toString())))) {
            NodeProcess a = cluster.node(0);
            NodeProcess b = cluster.node(1);
            NodeProcess c = cluster.node(2);
            Random random = new Random(7);
            Map<String, String> acknowledged = new LinkedHashMap<>();
            Reply refused = null;
            String refusedKey = null;
            for (int i = 0; i < 2000 && refused == null; i++) {
                String key = "full-" + i;
                String value = value(random);
                Reply r = DemoClient.put(a, key, value);
                if (r.status() == 204) {
                    acknowledged.put(key, value);
                } else {
                    refused = r;
                    refusedKey = key;
                }
            }
            System.out.printf("DiskFullIT: %d writes of %d KB acknowledged before the disk of c filled; then %s%n",
                    acknowledged.size(), VALUE_SIZE / 1024, refused);
            assertThat(refused).as("a write refused once c's 40 MB filesystem is full").isNotNull();
            assertThat(refused.status()).as("the refused write: %s", refused).isEqualTo(503);
            assertThat(refused.body()).as("the refusal names the cause").containsAnyOf(FULL_DISK);

            JsonNode check = awaitDown(c);
            String reason = check.path("data").path("reason").asText();
            System.out.println("DiskFullIT: writes health of c: " + reason);
            assertThat(reason).contains("store failed").containsAnyOf(FULL_DISK);
            // c still serves reads, so it stays ready (in a load balancer's rotation) and says it takes no writes.
            Reply ready = DemoClient.readiness(c);
            assertThat(ready.status()).as("readiness of c with its disk full: %s", ready).isEqualTo(200);
            assertThat(DemoClient.level2pcCheck(ready).path("data").path("writable").asBoolean(true)).isFalse();
            Reply onB = DemoClient.put(b, "full-on-b", "x");
            assertThat(onB.status()).as("a write through b while c cannot store it: %s", onB).isEqualTo(503);

            for (NodeProcess n : cluster.nodes()) {
                assertThat(DemoClient.read(n, refusedKey).status()).as("the refused write on %s", n.name).isEqualTo(404);
                assertThat(DemoClient.read(n, "full-on-b").status()).as("the refused write on %s", n.name).isEqualTo(404);
            }
            // The full node reads what it committed. A commit it could not store leaves its branch prepared
            // there (the decision is on the coordinator): a read of those keys waits for it and answers 503
            // lock wait timeout, never an old value.
            List<String> waiting = new ArrayList<>();
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                Reply r = DemoClient.read(c, e.getKey());
                if (r.status() == 503 && r.body().contains("lock wait timeout")) {
                    waiting.add(e.getKey());
                } else {
                    assertThat(r.status()).as("read of %s on the full node: %s", e.getKey(), r).isEqualTo(200);
                    assertThat(r.body()).as("read of %s on the full node", e.getKey()).isEqualTo(e.getValue());
                }
            }
            System.out.printf("DiskFullIT: the full node read %d of %d acknowledged keys; %s wait for a commit it could not"
                    + " store%n", acknowledged.size() - waiting.size(), acknowledged.size(), waiting);
            assertThat(waiting).as("keys of commits the full node could not store").hasSizeLessThanOrEqualTo(3);

            assertThat(run("mount", "-o", "remount,size=400m", mount.toString())).as("growing the tmpfs").isNull();
            long t0 = System.nanoTime();
            cluster.stop(2);
            long stopped = System.nanoTime();
            cluster.restart(2);
            System.out.printf("DiskFullIT: c stopped in %d ms, restarted and ready in %d ms%n", (stopped - t0) / 1_000_000,
                    (System.nanoTime() - stopped) / 1_000_000);

            assertThat(DemoClient.put(a, "after-restart", "back").status()).isEqualTo(204);
            acknowledged.put("after-restart", "back");
            assertEverywhere(cluster.nodes(), acknowledged, "after c's restart");
            Awaitility.await("nothing in doubt on c").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> DemoClient.level2pcCheck(DemoClient.writesHealth(c)).path("data").path("in-doubt").asInt(-1) == 0);
        } finally {
            String unmounted = run("umount", mount.toString());
            if (unmounted != null) {
                System.out.println("DiskFullIT: " + unmounted + "; lazy unmount");
                run("umount", "-l", mount.toString());
            }
        }
    }

    private static JsonNode awaitDown(NodeProcess n) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await("writes health of " + n.name + " DOWN").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    last[0] = DemoClient.level2pcCheck(DemoClient.writesHealth(n));
                    return "DOWN".equals(last[0].path("status").asText());
                });
        return last[0];
    }

    private static void assertEverywhere(List<NodeProcess> nodes, Map<String, String> expected, String when)
            throws IOException, InterruptedException {
        for (NodeProcess n : nodes) {
            List<String> wrong = new ArrayList<>();
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Reply r = DemoClient.read(n, e.getKey());
                if (r.status() != 200 || !r.body().equals(e.getValue())) {
                    wrong.add(e.getKey() + " -> " + r.status() + " " + r.body().substring(0, Math.min(200, r.body().length())));
                }
            }
            assertThat(wrong).as("acknowledged writes that %s does not read back %s", n.name, when).isEmpty();
        }
    }

    private static String value(Random random) {
        char[] v = new char[VALUE_SIZE];
        for (int i = 0; i < v.length; i++) {
            v[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(v);
    }

    /** Runs a command; null if it succeeded, else what it printed. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + " did not finish";
        }
        return p.exitValue() == 0 ? null : String.join(" ", command) + " exited " + p.exitValue() + ": " + out.trim();
    }
}
