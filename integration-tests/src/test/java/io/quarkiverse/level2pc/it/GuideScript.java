package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runnable side of an AsciiDoc guide ({@code docs/modules/ROOT/pages/cluster.adoc}): its source
 * blocks, in order, with what the guide says each one is, and how a block's shown output is compared
 * with what really came out. {@link ClusterGuideIT} runs it; this class only reads and compares.
 * <p>
 * A block is a {@code [source...]} line followed by a {@code ----} delimited body. The line right
 * above it may be an AsciiDoc comment (invisible in the rendered guide) with a directive:
 * <ul>
 * <li>{@code // guide-test: skip <why>} — not run or not checked (say why: the build itself, an
 * alternative of the next block, ...);</li>
 * <li>{@code // guide-test: output [numbers] [check=<name>]} — what the last shell block printed
 * (stdout and stderr), line for line;</li>
 * <li>{@code // guide-test: output-contains [numbers]} — lines the last shell block printed, in this
 * order, among others;</li>
 * <li>{@code // guide-test: log <file> [numbers]} — lines written to {@code <file>} since the shell
 * blocks just above it started (the first of them, if several follow each other), in any order
 * (awaited: logs come from other processes; a file rewritten since, by a restarted node, is read
 * whole).</li>
 * </ul>
 * A {@code [source,shell]} block without a directive is run; any other block without one is an error,
 * so that no output shown in the guide goes unchecked by accident.
 * <p>
 * Comparisons ignore what the guide cannot know: the directory the guide was run in (shown as
 * {@value #SHOWN_ROOT}), durations ({@code 2.016 s}, {@code 57 ms}, {@code 3.260s}), a log line's
 * timestamp and (in log blocks) its thread, Vert.x thread numbers, counts of store writes and syncs, and a response's
 * {@code content-length}; with {@code numbers}, every number (and the padding before a line's first). {@code ...} in a shown line stands for
 * any text.
 */
final class GuideScript {

    /** The clone's root as the guide shows it. */
    static final String SHOWN_ROOT = "/home/me/quarkus-level-2pc";
    static final String DIRECTIVE = "// guide-test:";

    enum Kind {
        RUN,
        SKIP,
        OUTPUT,
        OUTPUT_CONTAINS,
        LOG
    }

    /**
     * One source block. {@code line} is the 1-based line of its {@code [source...]} attribute line;
     * {@code file} is set for {@link Kind#LOG}; {@code check} names an extra check of the test.
     */
    record Block(int line, Kind kind, boolean numbers, String file, String check, String reason, List<String> body) {

        String script() {
            return String.join("\n", body) + "\n";
        }

        @Override
        public String toString() {
            return kind + " block at cluster.adoc:" + line + (file == null ? "" : " (" + file + ")");
        }
    }

    private static final Pattern SOURCE = Pattern.compile("^\\[source(,[^\\]]*)?\\]\\s*$");
    private static final Pattern LOG_TIMESTAMP = Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d[,.]\\d{3} ");
    private static final Pattern DURATION = Pattern.compile("(?<![\\w.])\\d+(\\.\\d+)?(\\s?)(ms|s)\\b");
    private static final Pattern STORE_COUNTS = Pattern.compile("(\"store-(writes|syncs)\":\\s?)\\d+");
    private static final Pattern THREAD_NUMBER = Pattern.compile("(thread-)\\d+");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)(content-length: )\\d+");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    /** The thread of a log line ({@code INFO  [category] (thread) message}): which one runs a step varies. */
    private static final Pattern LOG_THREAD = Pattern.compile("^(\\w+\\s+\\[[^\\]]+\\] )\\([^)]*\\)");

    private GuideScript() {
    }

    static List<Block> read(Path guide) throws IOException {
        return parse(Files.readAllLines(guide));
    }

    static List<Block> parse(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher source = SOURCE.matcher(lines.get(i));
            if (!source.matches()) {
                continue;
            }
            int attributeLine = i + 1;
            if (i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
                throw new IllegalArgumentException("line " + attributeLine + ": [source] not followed by ----");
            }
            int end = i + 2;
            while (end < lines.size() && !lines.get(end).equals("----")) {
                end++;
            }
            if (end == lines.size()) {
                throw new IllegalArgumentException("line " + attributeLine + ": block never closed with ----");
            }
            List<String> body = List.copyOf(lines.subList(i + 2, end));
            boolean shell = source.group(1) != null && source.group(1).startsWith(",shell");
            String directive = i > 0 && lines.get(i - 1).startsWith(DIRECTIVE)
                    ? lines.get(i - 1).substring(DIRECTIVE.length()).trim()
                    : null;
            blocks.add(block(attributeLine, shell, directive, body));
            i = end;
        }
        return blocks;
    }

    private static Block block(int line, boolean shell, String directive, List<String> body) {
        if (directive == null) {
            if (!shell) {
                throw new IllegalArgumentException("line " + line + ": an output block without a '" + DIRECTIVE
                        + " output|output-contains|log <file>|skip <why>' line above it: say how the test checks it");
            }
            return new Block(line, Kind.RUN, false, null, null, null, body);
        }
        String[] words = directive.split("\\s+");
        if (words[0].equals("skip")) {
            String reason = directive.substring(4).trim();
            if (reason.isEmpty()) {
                throw new IllegalArgumentException("line " + line + ": 'skip' needs a reason");
            }
            return new Block(line, Kind.SKIP, false, null, null, reason, body);
        }
        if (shell) {
            throw new IllegalArgumentException("line " + line + ": a shell block can only be skipped, not '" + directive + "'");
        }
        Kind kind = switch (words[0]) {
            case "output" -> Kind.OUTPUT;
            case "output-contains" -> Kind.OUTPUT_CONTAINS;
            case "log" -> Kind.LOG;
            default -> throw new IllegalArgumentException("line " + line + ": unknown directive '" + words[0] + "'");
        };
        String file = null;
        boolean numbers = false;
        String check = null;
        for (int w = 1; w < words.length; w++) {
            if (kind == Kind.LOG && w == 1) {
                file = words[w];
            } else if (words[w].equals("numbers")) {
                numbers = true;
            } else if (words[w].startsWith("check=")) {
                check = words[w].substring("check=".length());
            } else {
                throw new IllegalArgumentException("line " + line + ": unknown option '" + words[w] + "'");
            }
        }
        if (kind == Kind.LOG && file == null) {
            throw new IllegalArgumentException("line " + line + ": 'log' needs the file it shows");
        }
        return new Block(line, kind, numbers, file, check, null, body);
    }

    /**
     * {@code text} as compared: the run directory shown as {@link #SHOWN_ROOT}, without carriage
     * returns, log timestamps and trailing spaces, with durations and the other varying values masked.
     */
    static List<String> normalize(String text, String runRoot, boolean numbers) {
        String t = text.replace("\r", "");
        if (runRoot != null) {
            t = t.replace(runRoot, SHOWN_ROOT);
        }
        List<String> out = new ArrayList<>();
        for (String line : t.split("\n", -1)) {
            String l = LOG_TIMESTAMP.matcher(line).replaceFirst("");
            l = DURATION.matcher(l).replaceAll("<d>$2$3");
            l = STORE_COUNTS.matcher(l).replaceAll("$1<n>");
            l = THREAD_NUMBER.matcher(l).replaceAll("$1<n>");
            l = CONTENT_LENGTH.matcher(l).replaceAll("$1<n>");
            if (numbers) {
                // uniq -c and the like pad numbers to a width: the padding varies with them
                l = NUMBER.matcher(l).replaceAll("<n>").stripLeading();
            }
            out.add(l.stripTrailing());
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        while (!out.isEmpty() && out.get(0).isEmpty()) {
            out.remove(0);
        }
        return out;
    }

    /** {@link #normalize} for log lines: also without the thread name, which varies from run to run. */
    static List<String> normalizeLog(String text, String runRoot, boolean numbers) {
        List<String> lines = normalize(text, runRoot, numbers);
        lines.replaceAll(l -> LOG_THREAD.matcher(l).replaceFirst("$1(<thread>)"));
        return lines;
    }

    /** Whether an actual line matches a shown line ({@code ...} stands for any text). */
    static boolean matches(String shown, String actual) {
        if (!shown.contains("...")) {
            return shown.equals(actual);
        }
        StringBuilder regex = new StringBuilder();
        String[] parts = shown.split("\\.\\.\\.", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(actual).matches();
    }

    /** Why {@code actual} is not what {@code shown} shows line for line, or empty if it is. */
    static Optional<String> compareExact(List<String> shown, List<String> actual) {
        for (int i = 0; i < Math.max(shown.size(), actual.size()); i++) {
            String s = i < shown.size() ? shown.get(i) : null;
            String a = i < actual.size() ? actual.get(i) : null;
            if (s == null || a == null || !matches(s, a)) {
                return Optional.of("line " + (i + 1) + " differs:\n  shown:  " + s + "\n  actual: " + a);
            }
        }
        return Optional.empty();
    }

    /** Why the shown lines are not all among {@code actual}, in order, or empty if they are. */
    static Optional<String> compareInOrder(List<String> shown, List<String> actual) {
        int from = 0;
        for (String s : shown) {
            int found = -1;
            for (int i = from; i < actual.size(); i++) {
                if (matches(s, actual.get(i))) {
                    found = i;
                    break;
                }
            }
            if (found < 0) {
                return Optional.of("not found" + (from > 0 ? " after line " + from : "") + ": " + s);
            }
            from = found + 1;
        }
        return Optional.empty();
    }

    /** Why the shown lines are not all among {@code actual}, in any order, or empty if they are. */
    static Optional<String> compareAnyOrder(List<String> shown, List<String> actual) {
        for (String s : shown) {
            if (s.isEmpty()) {
                continue;
            }
            if (actual.stream().noneMatch(a -> matches(s, a))) {
                return Optional.of("not found: " + s);
            }
        }
        return Optional.empty();
    }
}
