package io.quarkiverse.level2pc.it.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The WARN and ERROR lines of the nodes' logs, grouped by level, logger and message code (or the
 * start of the message), with the count of each group and its first line as an example: they may
 * explain an error or a slow cell (a peer voting no, a retried write...).
 */
final class NodeLogs {

    /** {@code <node>: 2026-11-26 07:56:21,051 WARN  [category] (thread) message}, Quarkus' default format. */
    private static final Pattern LINE = Pattern.compile("^(?:(\\w+): )?\\S+ \\S+ (WARN|ERROR)\\s+\\[([^\\]]+)\\] \\([^)]*\\) (.*)$");
    private static final Pattern CODE = Pattern.compile("^([A-Z]+\\d+):");

    private NodeLogs() {
    }

    /** Group key → {count, example}, groups in order of first appearance. */
    static Map<String, Object[]> group(List<String> lines) {
        Map<String, Object[]> groups = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            String key;
            if (m.matches()) {
                Matcher code = CODE.matcher(m.group(4));
                String what = code.find() ? code.group(1) : shorten(m.group(4), 60);
                key = m.group(2) + " [" + m.group(3) + "] " + what;
            } else {
                key = shorten(line, 60);
            }
            Object[] g = groups.computeIfAbsent(key, k -> new Object[] { 0L, line });
            g[0] = (Long) g[0] + 1;
        }
        return groups;
    }

    /** Markdown, without a final period: {@code Node logs of 3 nodes: 3 WARN and 0 ERROR line(s): 3 × `...` (first: `...`)}. */
    static String summary(String target, List<String> warn, List<String> error) {
        List<String> all = new java.util.ArrayList<>(error);
        all.addAll(warn);
        return summary(target, warn.size(), error.size(), group(all));
    }

    /** {@link #summary(String, List, List)} of lines already grouped: key → {count, example}. */
    static String summary(String target, int warn, int error, Map<String, Object[]> groups) {
        StringBuilder b = new StringBuilder("Node logs of " + target + ": " + warn + " WARN and " + error + " ERROR line(s)");
        String sep = ": ";
        for (Map.Entry<String, Object[]> e : groups.entrySet()) {
            b.append(sep).append(e.getValue()[0]).append(" × `").append(code(e.getKey())).append("` (first: `")
                    .append(code(shorten((String) e.getValue()[1], 240))).append("`)");
            sep = "; ";
        }
        return b.toString();
    }

    private static String code(String s) {
        return s.replace('`', '\'').replace('|', '/');
    }

    private static String shorten(String s, int max) {
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }
}
