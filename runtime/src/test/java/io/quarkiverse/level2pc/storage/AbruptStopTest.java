package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.Versioned;

/**
 * Reopen after an abrupt stop, on real LevelDB, in a child JVM (the {@code leveldb.mmap} property is
 * read once when iq80's factory class initialises, so each mode needs its own JVM).
 */
class AbruptStopTest {

    private static final long CHILD_TIMEOUT_SECONDS = 60;

    @TempDir
    Path tmp;

    private static List<String> command(boolean mmap, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dleveldb.mmap=" + mmap,
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                AbruptStopChild.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs the child to its own end and returns its output. */
    private String runChild(boolean mmap, int expectedExit, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "child", ".out");
        Process p = new ProcessBuilder(command(mmap, args)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(out);
        assertThat(exited).as("child exited within %d s; output:%n%s", CHILD_TIMEOUT_SECONDS, output).isTrue();
        assertThat(p.exitValue()).as("child exit code; output:%n%s", output).isEqualTo(expectedExit);
        return output;
    }

    @ParameterizedTest(name = "leveldb.mmap={0}")
    @ValueSource(booleans = { true, false })
    void aStoreHaltedWithoutCloseReopensWithItsPrepareRecordsAndCommittedData(boolean mmap) throws Exception {
        Path dir = tmp.resolve("store");

        String first = runChild(mmap, 0, "halt", dir.toString(), "1");
        assertThat(first).contains("mmap=" + mmap).contains("halting after round 1");
        // The second child recovers round 1 in the same mmap mode (halt(3) if anything is missing),
        // then writes round 2 and halts again.
        String second = runChild(mmap, 0, "halt", dir.toString(), "2");
        assertThat(second).contains("mmap=" + mmap).doesNotContain("recovery problems").contains("halting after round 2");

        try (var files = Files.list(dir)) {
            assertThat(files.filter(f -> f.toString().endsWith(".sst")).mapToLong(f -> f.toFile().length()).sum())
                    .as("the bulk values went through level-0 tables, not only the log").isGreaterThan(AbruptStopChild.BULK_SIZE);
        }
        try (NodeStore store = new NodeStore(LevelStore.open(dir, true, 100))) {
            assertThat(AbruptStopChild.verifyRound(store, 1)).isEmpty();
            assertThat(AbruptStopChild.verifyRound(store, 2)).isEmpty();
            assertThat(store.loadPrepared()).extracting(PrepareRecord::branch)
                    .containsExactlyInAnyOrder(AbruptStopChild.preparedBranch(1), AbruptStopChild.preparedBranch(2));
            assertThat(store.get(AbruptStopChild.key("pending-1"))).isNull();
        }
    }

    /**
     * SIGKILL while the child prepares and commits in a loop: every acknowledged commit survives, and
     * each branch is found either prepared with none of its writes or committed with all of them and
     * no record, never in between.
     */
    @ParameterizedTest(name = "leveldb.mmap={0}")
    @ValueSource(booleans = { true, false })
    void aKillDuringCommitsLeavesEachCommitAllOrNothing(boolean mmap) throws Exception {
        Path dir = tmp.resolve("churn");
        Process p = new ProcessBuilder(command(mmap, "churn", dir.toString())).redirectErrorStream(true).start();
        int acknowledged;
        try {
            CompletableFuture<Integer> seen = CompletableFuture.supplyAsync(() -> readUntilCommitted(p, 40));
            acknowledged = seen.get(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
            assertThat(p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acknowledged).isGreaterThanOrEqualTo(39);

        try (NodeStore store = new NodeStore(LevelStore.open(dir, true, 100))) {
            List<PrepareRecord> records = store.loadPrepared();
            assertThat(records).as("at most the branch in flight is left prepared").hasSizeLessThanOrEqualTo(1);
            int last = Integer.parseInt(new String(store.get(AbruptStopChild.key("churn-last")).value(), StandardCharsets.UTF_8));
            assertThat(last).as("acknowledged commits survive").isGreaterThanOrEqualTo(acknowledged);
            for (int i = 0; i <= last; i++) {
                for (String suffix : new String[] { "-a", "-b" }) {
                    Versioned v = store.get(AbruptStopChild.key("churn-" + i + suffix));
                    assertThat(v).as("write %s of committed branch %d", suffix, i).isNotNull();
                    assertThat(v.version()).isEqualTo(Bytes.utf8("churn-" + i));
                }
                int n = i;
                assertThat(records).as("committed branch %d kept its record", i).noneMatch(r -> r.branch().equals(AbruptStopChild.churnBranch(n)));
            }
            for (PrepareRecord r : records) {
                assertThat(r.branch()).as("only the branch after the last commit can be prepared").isEqualTo(AbruptStopChild.churnBranch(last + 1));
            }
            assertThat(store.get(AbruptStopChild.key("churn-" + (last + 1) + "-a"))).as("nothing of an uncommitted branch").isNull();
            assertThat(store.get(AbruptStopChild.key("churn-" + (last + 2) + "-a"))).isNull();
        }
    }

    /** Reads the child's output until it acknowledged {@code n} commits; returns the last acknowledged index. */
    private static int readUntilCommitted(Process p, int n) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            int count = 0;
            int last = -1;
            StringBuilder other = new StringBuilder();
            for (String line; (line = r.readLine()) != null;) {
                if (line.startsWith("committed ")) {
                    last = Integer.parseInt(line.substring("committed ".length()));
                    if (++count >= n) {
                        return last;
                    }
                } else {
                    other.append(line).append('\n');
                }
            }
            throw new AssertionError("child ended after " + count + " commits:\n" + other);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
