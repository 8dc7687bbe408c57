package io.quarkiverse.level2pc.it;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sorts the lines of a node's log that mention a heuristic into two kinds:
 * <ul>
 * <li><em>unknown outcomes reported</em>: the lines about a JTA transaction whose one-phase commit the extension
 * reported as of unknown outcome (its coordinator could not write or sync its decision). The extension says so in
 * one error line naming Narayana's transaction ({@code tx_uid=...}); Narayana, which has no other way to record an
 * unknown one-phase outcome, then logs a heuristic hazard for it at once and at every recovery pass. No node
 * decided on its own: the campaign's data checks (lost, half-applied, bank, divergence) judge the outcome;</li>
 * <li><em>heuristic anomalies</em>: every other line mentioning a heuristic, including any line of a log record
 * that names no transaction, or another transaction, and every operator's heuristic decision.</li>
 * </ul>
 * A log record is a line starting with a timestamp and the lines that follow it without one (a stack trace).
 */
final class HeuristicReports {

    /** The extension's error line for an unknown one-phase outcome (see {@code ClusterResource}). */
    private static final Pattern UNKNOWN = Pattern
            .compile("The outcome of JTA transaction <[^>]*tx_uid=([0-9a-f]+:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+),");
    /** Narayana's transaction ids as its messages print them. */
    private static final Pattern UID = Pattern
            .compile("(?:tx_uid=|action |Transaction )([0-9a-f]+:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+)");
    /** A branch id as the extension prints it: format id, then the global transaction id in hex. */
    private static final Pattern BRANCH = Pattern.compile("131077:([0-9a-f]{56,})");
    /**
     * A transaction id of the extension's own format ({@code TxIds.FORMAT_ID}, "L2PC"), as a transaction it decides
     * itself (e.g. a JTA one-phase commit in quorum mode) is named in its messages: format id, gtrid, bqual in hex.
     */
    private static final Pattern OWN = Pattern.compile("1278365763:([0-9a-f]+:[0-9a-f]+)");
    /** The extension's log of an operator's heuristic decision: always an anomaly. */
    private static final String OPERATOR = "HEURISTIC DECISION";
    private static final Pattern RECORD_START = Pattern.compile("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}");

    /** The heuristic lines of one log, in order, each with its kind. */
    record Line(String text, boolean unknownReported) {
    }

    private HeuristicReports() {
    }

    /**
     * A log line that mentions a heuristic outcome: any mention of a heuristic, other than Narayana's printout of a
     * record's heuristic field when it holds none ({@code heuristic: TwoPhaseOutcome.FINISH_OK}, e.g. in
     * ARJUNA016037), or an XA heuristic code ({@code XA_HEURHAZ}, {@code XA_HEURMIX}, {@code XA_HEURCOM},
     * {@code XA_HEURRB}).
     */
    static boolean mentionsHeuristic(String line) {
        String l = line.replace("heuristic: TwoPhaseOutcome.FINISH_OK", "").toLowerCase(Locale.ROOT);
        return l.contains("heuristic") || l.contains("xa_heur");
    }

    /** Every line of {@code log} that mentions a heuristic, sorted into the two kinds. */
    static List<Line> of(String log) {
        List<List<String>> records = records(log);
        Set<String> unknown = new HashSet<>();
        Set<String> unknownOwn = new HashSet<>();
        for (String line : log.lines().toList()) {
            Matcher m = UNKNOWN.matcher(line);
            if (m.find()) {
                unknown.add(m.group(1));
                Matcher own = OWN.matcher(line);
                while (own.find()) {
                    unknownOwn.add(own.group(1)); // the extension's id of that same transaction
                }
            }
        }
        Set<String> unknownHex = new HashSet<>();
        for (String uid : unknown) {
            unknownHex.add(gtridHexPrefix(uid));
        }
        List<Line> result = new ArrayList<>();
        for (List<String> record : records) {
            boolean aboutUnknownOnly = aboutOnly(record, unknown, unknownHex, unknownOwn);
            for (String line : record) {
                if (mentionsHeuristic(line)) {
                    result.add(new Line(line, aboutUnknownOnly));
                }
            }
        }
        return result;
    }

    /**
     * Whether {@code record} names at least one transaction, and only transactions of {@code uids} (by Narayana's id,
     * by its branch's hex, or by the extension's own id, {@code own}).
     */
    private static boolean aboutOnly(List<String> record, Set<String> uids, Set<String> hexes, Set<String> own) {
        boolean named = false;
        for (String line : record) {
            if (line.contains(OPERATOR)) {
                return false;
            }
            Matcher u = UID.matcher(line);
            while (u.find()) {
                named = true;
                if (!uids.contains(u.group(1))) {
                    return false;
                }
            }
            Matcher b = BRANCH.matcher(line);
            while (b.find()) {
                named = true;
                if (hexes.stream().noneMatch(b.group(1)::startsWith)) {
                    return false;
                }
            }
            Matcher o = OWN.matcher(line);
            while (o.find()) {
                named = true;
                if (!own.contains(o.group(1))) {
                    return false;
                }
            }
        }
        return named;
    }

    /**
     * The hex form of the global transaction id a Narayana transaction id {@code a:b:c:d:e} (hex fields) starts
     * with, as the extension prints branch ids: two longs and three ints, big-endian.
     */
    static String gtridHexPrefix(String uid) {
        String[] f = uid.split(":");
        return pad(f[0], 16) + pad(f[1], 16) + pad(f[2], 8) + pad(f[3], 8) + pad(f[4], 8);
    }

    private static String pad(String hex, int width) {
        return "0".repeat(Math.max(0, width - hex.length())) + hex;
    }

    private static List<List<String>> records(String log) {
        List<List<String>> records = new ArrayList<>();
        List<String> current = null;
        for (String line : log.lines().toList()) {
            if (current == null || RECORD_START.matcher(line).find()) {
                current = new ArrayList<>();
                records.add(current);
            }
            current.add(line);
        }
        return records;
    }
}
