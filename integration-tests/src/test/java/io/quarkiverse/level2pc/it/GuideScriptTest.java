package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.it.GuideScript.Block;
import io.quarkiverse.level2pc.it.GuideScript.Kind;

/** How the guide test reads a guide and compares outputs: what it ignores, and what it does not. */
class GuideScriptTest {

    @Test
    void readsBlocksWithTheirDirectives() {
        List<Block> blocks = GuideScript.parse(List.of(
                "Text.",
                "",
                "// guide-test: skip built before the test",
                "[source,shell]",
                "----",
                "./mvnw package",
                "----",
                "[source,shell]",
                "----",
                "echo hi",
                "----",
                "// guide-test: output numbers check=x",
                "[source]",
                "----",
                "hi",
                "----",
                "// guide-test: log data/a.log",
                "[source,json]",
                "----",
                "INFO ready",
                "----"));
        assertThat(blocks).extracting(Block::kind).containsExactly(Kind.SKIP, Kind.RUN, Kind.OUTPUT, Kind.LOG);
        assertThat(blocks.get(0).reason()).isEqualTo("built before the test");
        assertThat(blocks.get(1).script()).isEqualTo("echo hi\n");
        assertThat(blocks.get(1).line()).isEqualTo(8);
        assertThat(blocks.get(2).numbers()).isTrue();
        assertThat(blocks.get(2).check()).isEqualTo("x");
        assertThat(blocks.get(3).file()).isEqualTo("data/a.log");
        assertThat(blocks.get(3).numbers()).isFalse();
    }

    @Test
    void anOutputBlockWithoutADirectiveIsAnError() {
        assertThatThrownBy(() -> GuideScript.parse(List.of("[source]", "----", "x", "----")))
                .hasMessageContaining("line 1").hasMessageContaining("guide-test:");
        assertThatThrownBy(() -> GuideScript.parse(List.of("// guide-test: skip", "[source]", "----", "x", "----")))
                .hasMessageContaining("needs a reason");
        assertThatThrownBy(() -> GuideScript.parse(List.of("// guide-test: output", "[source,shell]", "----", "x", "----")))
                .hasMessageContaining("can only be skipped");
        assertThatThrownBy(() -> GuideScript.parse(List.of("// guide-test: log", "[source]", "----", "x", "----")))
                .hasMessageContaining("needs the file");
        assertThatThrownBy(() -> GuideScript.parse(List.of("[source,shell]", "----", "x")))
                .hasMessageContaining("never closed");
    }

    @Test
    void ignoresPathsTimingsTimestampsAndCounts() {
        String actual = "2026-12-04 16:00:01,123 INFO  [x] (vert.x-eventloop-thread-0) opened /tmp/run/data/a/leveldb in 3.260s\r\n"
                + "503 after 2.004561 s, promised for 57 ms more\n"
                + "    \"store-writes\": 17,\n"
                + "content-length: 285\n\n";
        List<String> shown = GuideScript.normalize(
                "INFO  [x] (vert.x-eventloop-thread-1) opened /home/me/quarkus-level-2pc/data/a/leveldb in 2.1s\n"
                        + "503 after 1.9 s, promised for 3 ms more\n"
                        + "    \"store-writes\": 1,\n"
                        + "Content-Length: 12\n",
                null, false);
        List<String> normalized = GuideScript.normalize(actual, "/tmp/run", false);
        assertThat(normalized).hasSize(4);
        assertThat(GuideScript.compareExact(shown.subList(0, 3), normalized.subList(0, 3))).isEmpty();
        assertThat(normalized.get(3)).isEqualTo("content-length: <n>");
    }

    @Test
    void statusCodesAndTextStillCount() {
        List<String> shown = GuideScript.normalize("8081 200\nhello\n", null, false);
        assertThat(GuideScript.compareExact(shown, GuideScript.normalize("8081 503\nhello\n", null, false)))
                .hasValueSatisfying(d -> assertThat(d).contains("line 1").contains("8081 503"));
        assertThat(GuideScript.compareExact(shown, GuideScript.normalize("8081 200\nhello\nextra\n", null, false)))
                .hasValueSatisfying(d -> assertThat(d).contains("line 3"));
        assertThat(GuideScript.compareExact(shown, GuideScript.normalize("8081 200\nHello\n", null, false))).isPresent();
        // "numbers" masks every number, and the padding uniq -c puts before it, but not the words.
        List<String> counts = GuideScript.normalize("     23 200\n     37 409\n", null, true);
        assertThat(GuideScript.compareExact(counts, GuideScript.normalize("      9 200\n     51 409\n", null, true))).isEmpty();
        assertThat(GuideScript.compareExact(GuideScript.normalize("node 'a' ready", null, true),
                GuideScript.normalize("node 'b' ready", null, true))).isPresent();
    }

    @Test
    void logLinesAreComparedWithoutTheirThread() {
        List<String> shown = GuideScript.normalizeLog("INFO  [x.CatchUps] (level-2pc-store-writer) Node 'c' caught up\n", null, false);
        assertThat(GuideScript.compareAnyOrder(shown, GuideScript.normalizeLog(
                "2026-12-04 18:06:19,656 INFO  [x.CatchUps] (vert.x-eventloop-thread-0) Node 'c' caught up\n", "/r", false))).isEmpty();
        assertThat(GuideScript.compareAnyOrder(shown, GuideScript.normalizeLog(
                "2026-12-04 18:06:19,656 WARN  [x.CatchUps] (main) Node 'c' caught up\n", "/r", false))).as("the level counts")
                .isPresent();
    }

    @Test
    void ellipsisStandsForAnyText() {
        assertThat(GuideScript.matches("WARN ... Peer x ...failed: cause", "WARN  [c] (t) Peer x is unreachable: failed: cause")).isTrue();
        assertThat(GuideScript.matches("WARN ... Peer x ...failed: cause", "WARN  [c] (t) Peer y failed: cause")).isFalse();
        assertThat(GuideScript.matches("a.b", "axb")).as("only ... is special").isFalse();
    }

    @Test
    void inOrderAndAnyOrderComparisons() {
        List<String> actual = List.of("one", "two", "three");
        assertThat(GuideScript.compareInOrder(List.of("one", "three"), actual)).isEmpty();
        assertThat(GuideScript.compareInOrder(List.of("three", "one"), actual)).hasValueSatisfying(d -> assertThat(d).contains("one"));
        assertThat(GuideScript.compareAnyOrder(List.of("three", "one"), actual)).isEmpty();
        assertThat(GuideScript.compareAnyOrder(List.of("four"), actual)).hasValueSatisfying(d -> assertThat(d).contains("four"));
    }
}
