package io.quarkiverse.level2pc.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.iq80.leveldb.impl.Iq80DBFactory;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;

/**
 * Run in a child JVM by {@link AbruptStopTest}: opens a {@link NodeStore} over a {@link LevelStore}, writes,
 * and stops without closing it. Modes:
 * <ul>
 * <li>{@code halt <dir> <round>}: checks every earlier round survived, persists a prepare record, commits
 * data (the coordinator's own commit with its decision, and a 2PC commit removing its record), writes enough
 * to force a memtable flush to an SST file, then {@code Runtime.halt(0)}.</li>
 * <li>{@code churn <dir>}: prepares and commits branches in a loop, printing each acknowledged commit,
 * until the parent kills it.</li>
 * </ul>
 */
public final class AbruptStopChild {

    static final int BULK_VALUES = 5;
    static final int BULK_SIZE = 1024 * 1024;
    static final Bytes PREFIX = KeySpace.dbPrefix("crash");

    private AbruptStopChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        System.out.println("mmap=" + Iq80DBFactory.USE_MMAP);
        NodeStore store = new NodeStore(LevelStore.open(dir, true, 100));
        if (args[0].equals("halt")) {
            int round = Integer.parseInt(args[2]);
            List<String> problems = new ArrayList<>();
            for (int earlier = 1; earlier < round; earlier++) {
                problems.addAll(verifyRound(store, earlier));
            }
            if (!problems.isEmpty()) {
                System.out.println("recovery problems: " + problems);
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
            writeRound(store, round);
            System.out.println("halting after round " + round);
        } else {
            for (int i = 0;; i++) {
                TxWork w = churnWork(i);
                done(store.persistPrepare(churnBranch(i), w));
                done(store.commit(churnBranch(i), w, true, null));
                System.out.println("committed " + i);
            }
        }
        System.out.flush();
        // No close: no log truncation, no unmap, no final compaction. As abrupt as a JVM stop gets
        // while still flushing stdout.
        Runtime.getRuntime().halt(0);
    }

    /** Waits for a write: the child acknowledges (prints) only what completed. */
    static void done(CompletableFuture<Void> write) {
        write.orTimeout(60, TimeUnit.SECONDS).join();
    }

    static Bytes key(String k) {
        return KeySpace.dataKey(PREFIX, k.getBytes(StandardCharsets.UTF_8));
    }

    static BranchId branch(String gtrid) {
        return new BranchId(131077, Bytes.utf8(gtrid), Bytes.utf8("child"));
    }

    static BranchId preparedBranch(int round) {
        return branch("prepared-" + round);
    }

    static TxWork preparedWork(int round) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(key("pending-" + round), ("pending value " + round).getBytes(StandardCharsets.UTF_8));
        writes.put(key("committed-" + round + "-b"), null);
        return new TxWork(writes, Map.of(key("committed-" + round + "-a"), branch("one-phase-" + round).version()),
                "coordinator-" + round, 0, List.of(), 0, 1_764_000_000_000L + round);
    }

    static byte[] bulk(int round, int i) {
        byte[] b = new byte[BULK_SIZE];
        Arrays.fill(b, (byte) (31 * round + i));
        return b;
    }

    /** The commit decision the coordinator's own commit of round {@code round} writes with its data. */
    static Decision decision(int round) {
        BranchId own = branch("one-phase-" + round);
        return new Decision(own.gtrid(), Map.of("http://127.0.0.1:8081", own));
    }

    static void writeRound(NodeStore store, int round) {
        TreeMap<Bytes, byte[]> onePhase = new TreeMap<>();
        onePhase.put(key("committed-" + round + "-a"), ("a" + round).getBytes(StandardCharsets.UTF_8));
        onePhase.put(key("committed-" + round + "-b"), ("b" + round).getBytes(StandardCharsets.UTF_8));
        onePhase.put(key("deleted-by-" + round), null);
        done(store.commit(branch("one-phase-" + round), new TxWork(onePhase, Map.of(), ""), false, decision(round)));

        TreeMap<Bytes, byte[]> twoPhase = new TreeMap<>();
        twoPhase.put(key("two-phase-" + round), ("2pc" + round).getBytes(StandardCharsets.UTF_8));
        TxWork w2 = new TxWork(twoPhase, Map.of(), "");
        done(store.persistPrepare(branch("two-phase-" + round), w2));
        done(store.commit(branch("two-phase-" + round), w2, true, null));

        done(store.persistPrepare(preparedBranch(round), preparedWork(round)));

        // More than the 4 MB write buffer: a memtable flush to a level-0 table runs in the background.
        for (int i = 0; i < BULK_VALUES; i++) {
            TreeMap<Bytes, byte[]> big = new TreeMap<>();
            big.put(key("bulk-" + round + "-" + i), bulk(round, i));
            done(store.commit(branch("bulk-" + round + "-" + i), new TxWork(big, Map.of(), ""), false, null));
        }
        // A key written in this round that the next round deletes.
        TreeMap<Bytes, byte[]> doomed = new TreeMap<>();
        doomed.put(key("deleted-by-" + (round + 1)), new byte[] { 1 });
        done(store.commit(branch("doomed-" + round), new TxWork(doomed, Map.of(), ""), false, null));
    }

    /** What must be in the store after round {@code round} was written and the JVM halted. */
    static List<String> verifyRound(NodeStore store, int round) {
        List<String> problems = new ArrayList<>();
        expect(problems, store, "committed-" + round + "-a", "a" + round, "one-phase-" + round);
        expect(problems, store, "committed-" + round + "-b", "b" + round, "one-phase-" + round);
        expect(problems, store, "two-phase-" + round, "2pc" + round, "two-phase-" + round);
        if (store.get(key("deleted-by-" + round)) != null) {
            problems.add("deleted-by-" + round + " is still there");
        }
        if (store.get(key("pending-" + round)) != null) {
            problems.add("the prepared branch of round " + round + " was applied");
        }
        for (int i = 0; i < BULK_VALUES; i++) {
            Versioned v = store.get(key("bulk-" + round + "-" + i));
            if (v == null || !Arrays.equals(v.value(), bulk(round, i))) {
                problems.add("bulk value " + round + "-" + i + (v == null ? " missing" : " differs"));
            }
        }
        boolean twoPhaseRecordLeft = false;
        boolean preparedFound = false;
        if (!store.loadDecisions().contains(decision(round))) {
            problems.add("the commit decision of round " + round + " lost");
        }
        for (PrepareRecord r : store.loadPrepared()) {
            twoPhaseRecordLeft |= r.branch().equals(branch("two-phase-" + round));
            if (r.branch().equals(preparedBranch(round))) {
                preparedFound = true;
                TxWork expected = preparedWork(round);
                if (!r.work().coordinator().equals(expected.coordinator()) || !r.work().reads().equals(expected.reads())
                        || r.work().priority() != expected.priority()
                        || !r.work().writes().keySet().equals(expected.writes().keySet())
                        || !Arrays.equals(r.work().writes().get(key("pending-" + round)), expected.writes().get(key("pending-" + round)))
                        || r.work().writes().get(key("committed-" + round + "-b")) != null) {
                    problems.add("prepare record of round " + round + " differs: " + r.work());
                }
            }
        }
        if (!preparedFound) {
            problems.add("prepare record of round " + round + " lost");
        }
        if (twoPhaseRecordLeft) {
            problems.add("the committed 2PC branch of round " + round + " left its prepare record");
        }
        return problems;
    }

    private static void expect(List<String> problems, NodeStore store, String k, String value, String version) {
        Versioned v = store.get(key(k));
        if (v == null) {
            problems.add(k + " lost");
        } else if (!new String(v.value(), StandardCharsets.UTF_8).equals(value) || !v.version().equals(Bytes.utf8(version))) {
            problems.add(k + " = " + new String(v.value(), StandardCharsets.UTF_8) + "@" + v.version());
        }
    }

    static BranchId churnBranch(int i) {
        return branch("churn-" + i);
    }

    static TxWork churnWork(int i) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        byte[] v = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
        writes.put(key("churn-" + i + "-a"), v);
        writes.put(key("churn-" + i + "-b"), v);
        writes.put(key("churn-last"), v);
        return new TxWork(writes, Map.of(), "");
    }
}
