package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small builders shared by the tests of the core, the storage and the local node. */
public final class CoreFixtures {

    /** Narayana's format id. */
    public static final int FORMAT_ID = 131077;

    private CoreFixtures() {
    }

    public static BranchId branch(String gtrid) {
        return new BranchId(FORMAT_ID, Bytes.utf8(gtrid), Bytes.utf8("bq-1"));
    }

    /** Prepares {@code id} on {@code p} and plays the caller that synced the record, as the step asks. */
    public static TxWork prepareDurably(Participant p, VersionLookup versions, BranchId id, TxWork w) {
        Step s = p.prepare(id, w, versions);
        assertThat(s).isEqualTo(new Step.PersistThenVoteYes(id, w, false));
        p.persisted(id);
        return w;
    }

    public static void commitFully(Participant p, BranchId id) {
        assertThat(p.commit(id)).isInstanceOf(Step.Apply.class);
        p.finished(id, Outcome.COMMITTED);
    }

    public static void rollbackFully(Participant p, BranchId id) {
        assertThat(p.rollback(id)).isEqualTo(new Step.Discard(id, true));
        p.finished(id, Outcome.ROLLED_BACK);
    }

    public static Bytes key(String s) {
        return Bytes.utf8(s);
    }

    public static byte[] value(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static WorkBuilder work() {
        return new WorkBuilder();
    }

    /** An in-memory {@link VersionLookup}: absent keys have the empty version. */
    public static final class Versions implements VersionLookup {
        private final Map<Bytes, Bytes> versions = new HashMap<>();

        public Versions set(String key, String version) {
            versions.put(key(key), Bytes.utf8(version));
            return this;
        }

        public Versions remove(String key) {
            versions.remove(key(key));
            return this;
        }

        @Override
        public Bytes versionOf(Bytes key) {
            return versions.getOrDefault(key, Bytes.EMPTY);
        }
    }

    public static final class WorkBuilder {
        private final TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        private final Map<Bytes, Bytes> reads = new HashMap<>();
        private String coordinator = "";
        private long stamp;
        private List<String> participants = List.of();
        private int excluded;
        private long priority;

        public WorkBuilder put(String key, String value) {
            writes.put(key(key), value(value));
            return this;
        }

        public WorkBuilder put(Bytes key, byte[] value) {
            writes.put(key, value);
            return this;
        }

        public WorkBuilder delete(String key) {
            writes.put(key(key), null);
            return this;
        }

        public WorkBuilder delete(Bytes key) {
            writes.put(key, null);
            return this;
        }

        /** Records that the transaction read {@code key} at {@code version}. */
        public WorkBuilder read(String key, String version) {
            reads.put(key(key), Bytes.utf8(version));
            return this;
        }

        public WorkBuilder read(Bytes key, Bytes version) {
            reads.put(key, version);
            return this;
        }

        /** Records that the transaction found {@code key} absent. */
        public WorkBuilder readAbsent(String key) {
            reads.put(key(key), Bytes.EMPTY);
            return this;
        }

        public WorkBuilder readAbsent(Bytes key) {
            reads.put(key, Bytes.EMPTY);
            return this;
        }

        public WorkBuilder coordinator(String coordinator) {
            this.coordinator = coordinator;
            return this;
        }

        /** Wait-die priority: smaller is older (see {@link Participant#isOlder}). */
        public WorkBuilder priority(long priority) {
            this.priority = priority;
            return this;
        }

        /** Quorum-mode work: its commit stamp, the nodes taking part and how many are left out. */
        public WorkBuilder quorum(long stamp, List<String> participants, int excluded) {
            this.stamp = stamp;
            this.participants = participants;
            this.excluded = excluded;
            return this;
        }

        public TxWork build() {
            return new TxWork(writes, reads, coordinator, stamp, participants, excluded, priority);
        }
    }
}
