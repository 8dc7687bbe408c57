package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** Quorum mode: a participant prepares a write only if its stamp is greater than what the key carries. */
class ParticipantStampTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final List<String> PARTICIPANTS = List.of("a", "b");

    private final Participant p = new Participant(1_000);

    /** Versions as a quorum-mode store holds them: live versions with stamps, and stamps of deleted keys. */
    private static final class StampedVersions implements VersionLookup {
        final Map<Bytes, Bytes> live = new HashMap<>();
        final Map<Bytes, Long> deleted = new HashMap<>();

        StampedVersions live(String k, long stamp, String gtrid) {
            live.put(key(k), Stamps.version(stamp, Bytes.utf8(gtrid)));
            return this;
        }

        StampedVersions deleted(String k, long stamp) {
            live.remove(key(k));
            deleted.put(key(k), stamp);
            return this;
        }

        @Override
        public Bytes versionOf(Bytes key) {
            return live.getOrDefault(key, Bytes.EMPTY);
        }

        @Override
        public long stampOf(Bytes key) {
            Bytes v = live.get(key);
            return v != null ? Stamps.stampOf(v) : deleted.getOrDefault(key, 0L);
        }
    }

    private final StampedVersions versions = new StampedVersions().live("x", 100, "tx-0").live("y", 50, "tx-0");

    private static TxWork quorum(long stamp, String... puts) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        for (String k : puts) {
            writes.put(key(k), value("new-" + k));
        }
        return new TxWork(writes, Map.of(), "", stamp, PARTICIPANTS, 1);
    }

    private static TxWork full(String... puts) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        for (String k : puts) {
            writes.put(key(k), value("new-" + k));
        }
        return new TxWork(writes, Map.of(), "");
    }

    private void assertNoLocks() {
        assertThat(p.locks().writeLockCount()).isZero();
        assertThat(p.locks().readLockCount()).isZero();
    }

    @Test
    void quorumWorkIsRecognisedByItsParticipants() {
        assertThat(quorum(1, "x").isQuorum()).isTrue();
        assertThat(full("x").isQuorum()).isFalse();
        assertThat(full("x").stamp()).isZero();
        assertThat(full("x").participants()).isEmpty();
        assertThat(full("x").excluded()).isZero();
    }

    @Test
    void aQuorumWriteWithAStampEqualToTheStoredStampVotesNoStampBehindAndHoldsNoLocks() {
        Step s = p.prepare(T1, quorum(100, "x"), versions);

        assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.STAMP_BEHIND, key("x"), null)));
        assertThat(p.state(T1)).isNull();
        assertThat(p.prepared()).isEmpty();
        assertNoLocks();
    }

    @Test
    void aQuorumWriteWithASmallerStampVotesNoStampBehindAndHoldsNoLocks() {
        Step s = p.prepare(T1, quorum(99, "y", "x"), versions);

        assertThat(s).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.STAMP_BEHIND, key("x"), null)));
        assertThat(p.writeLockHolder(key("y"))).as("all-or-nothing: the key that passed is not left locked").isNull();
        assertNoLocks();
    }

    @Test
    void aQuorumWriteBehindOnOnlyOneOfItsKeysVotesNoNamingThatKey() {
        // y (stamp 50) passes at 75, x (stamp 100) does not.
        Step s = p.prepare(T1, quorum(75, "x", "y"), versions);

        assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class, no -> {
            assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.STAMP_BEHIND);
            assertThat(no.conflict().key()).isEqualTo(key("x"));
        });
        assertNoLocks();
    }

    @Test
    void theCoordinatorsOwnQuorumBranchBehindIsRefusedToo() {
        Step s = p.prepareLocally(T1, quorum(100, "x"), versions, false);

        assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class,
                no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.STAMP_BEHIND));
        assertNoLocks();
    }

    @Test
    void aQuorumWriteWithAGreaterStampVotesYesAndLocksItsKeys() {
        TxWork w = quorum(101, "x", "y");

        Step s = p.prepare(T1, w, versions);

        assertThat(s).isEqualTo(new Step.PersistThenVoteYes(T1, w, false));
        assertThat(p.writeLockHolder(key("x"))).isEqualTo(T1);
        assertThat(p.writeLockHolder(key("y"))).isEqualTo(T1);
    }

    @Test
    void aQuorumWriteOfAnAbsentKeyNeedsOnlyAPositiveStamp() {
        assertThat(p.prepare(T1, quorum(1, "new"), versions)).isInstanceOf(Step.PersistThenVoteYes.class);
        assertThat(p.prepare(T2, quorum(0, "other"), versions)).as("stamp 0 is not greater than an absent key's 0")
                .isInstanceOfSatisfying(Step.VoteNo.class,
                        no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.STAMP_BEHIND));
    }

    @Test
    void fullReplicationWorkIsNeverStampChecked() {
        // Participants empty: stamp 0 would be behind every stamped key, yet the write is accepted.
        TxWork w = full("x", "y");

        Step s = p.prepare(T1, w, versions);

        assertThat(s).isEqualTo(new Step.PersistThenVoteYes(T1, w, false));
    }

    @Test
    void fullReplicationWorkIsNotStampCheckedOnTheCoordinatorsOwnBranchEither() {
        assertThat(p.prepareLocally(T1, full("x"), versions, false)).isEqualTo(new Step.Locked(T1));
    }

    @Test
    void theStampOfADeletedKeyCounts() {
        versions.deleted("x", 500);

        Step behind = p.prepare(T1, quorum(400, "x"), versions);
        Step ahead = p.prepare(T2, quorum(501, "x"), versions);

        assertThat(behind).isEqualTo(new Step.VoteNo(T1, new Conflict(Conflict.Kind.STAMP_BEHIND, key("x"), null)));
        assertThat(ahead).isInstanceOf(Step.PersistThenVoteYes.class);
    }

    @Test
    void theDefaultStampOfALookupIsTheStampOfTheLiveVersion() {
        VersionLookup lookup = k -> Stamps.version(77, Bytes.utf8("tx-0"));
        VersionLookup plain = k -> Bytes.utf8("tx-0");

        assertThat(lookup.stampOf(key("x"))).isEqualTo(77);
        assertThat(plain.stampOf(key("x"))).isZero();
        assertThat(p.prepare(T1, quorum(77, "x"), lookup)).isInstanceOf(Step.VoteNo.class);
        assertThat(p.prepare(T2, quorum(78, "x"), lookup)).isInstanceOf(Step.PersistThenVoteYes.class);
    }

    @Test
    void aVersionConflictIsReportedBeforeAStampConflict() {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(key("x"), value("1"));
        TxWork w = new TxWork(writes, Map.of(key("x"), Bytes.utf8("stale")), "", 1, PARTICIPANTS, 1);

        Step s = p.prepare(T1, w, versions);

        assertThat(s).isInstanceOfSatisfying(Step.VoteNo.class,
                no -> assertThat(no.conflict().kind()).isEqualTo(Conflict.Kind.VERSION_CHANGED));
        assertNoLocks();
    }

    @Test
    void aReadOnlyQuorumBranchIsNotStampChecked() {
        TxWork w = new TxWork(new TreeMap<>(), Map.of(key("x"), versions.versionOf(key("x"))), "", 1, PARTICIPANTS, 1);

        assertThat(p.prepare(T1, w, versions)).isEqualTo(new Step.VoteReadOnly(T1));
    }

    @Test
    void stampBehindIsDescribedAsALaterCommit() {
        assertThat(new Conflict(Conflict.Kind.STAMP_BEHIND, key("x"), null).describe()).contains("later commit stamp");
    }
}
