package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.quarkiverse.level2pc.core.ParticipantSim.Coord;
import io.quarkiverse.level2pc.core.ParticipantSim.Kind;
import io.quarkiverse.level2pc.core.ParticipantSim.Stored;
import io.quarkiverse.level2pc.core.ParticipantSim.Tx;

/** The invariants of {@link ParticipantSim}. */
final class ParticipantSimChecks {

    private final ParticipantSim sim;

    ParticipantSimChecks(ParticipantSim sim) {
        this.sim = sim;
    }

    /** Serializability: the versions {@code tx} read are still the committed ones. */
    void readsHold(Tx tx, String when) {
        for (Map.Entry<Bytes, Bytes> r : tx.work.reads().entrySet()) {
            assertThat(sim.versionOf(r.getKey()))
                    .as("serializability: at %s of %s, key %s no longer has the version it read", when, tx, r.getKey())
                    .isEqualTo(r.getValue());
        }
    }

    /**
     * Wait-die: a waiter holds nothing, and waits only for a live, younger holder, or an older one already decided
     * here (committing or rolling back), unless it may wait for anyone.
     */
    void aWait(Tx tx, Step.Wait w) {
        Participant participant = sim.participant;
        assertThat(w.branch()).isEqualTo(tx.id);
        assertThat(participant.state(tx.id)).as("a waiting %s is not live", tx).isNull();
        assertThat(participant.locks().holdsLocks(tx.id)).as("a waiting %s holds no locks", tx).isFalse();
        TxWork holder = participant.work(w.holder());
        assertThat(holder).as("%s waits for a live holder", tx).isNotNull();
        boolean older = Participant.isOlder(tx.id, tx.work, w.holder(), holder);
        if (!older && participant.state(w.holder()) != Participant.State.PREPARED) {
            sim.stats.waitsForDecided++;
        } else if (!older) {
            assertThat(tx.waitForAnyone).as("%s waits for the older %s", tx, sim.byId.get(w.holder())).isTrue();
            sim.stats.waitsForAnyone++;
        }
        sim.stats.waits++;
    }

    /** A NO vote holds nothing and names a real conflict; a LOCKED one names an older (or equal-age) live holder. */
    void aNoVote(Tx tx, Step.VoteNo no) {
        Participant participant = sim.participant;
        assertThat(participant.state(tx.id)).as("a NO vote leaves no live branch").isNull();
        assertThat(participant.locks().holdsLocks(tx.id)).as("a NO vote holds no locks").isFalse();
        Conflict c = no.conflict();
        if (c.kind() == Conflict.Kind.VERSION_CHANGED) {
            assertThat(sim.versionOf(c.key())).isNotEqualTo(tx.work.reads().get(c.key()));
        } else {
            TxWork holder = participant.work(c.holder());
            assertThat(holder).as("a LOCKED conflict names a live holder").isNotNull();
            assertThat(Participant.isOlder(tx.id, tx.work, c.holder(), holder)).as("%s died although it is older than %s", tx,
                    sim.byId.get(c.holder())).isFalse();
        }
    }

    void invariants() {
        Participant participant = sim.participant;
        List<Tx> live = new ArrayList<>();
        for (Tx tx : sim.txs) {
            if (participant.state(tx.id) != null) {
                live.add(tx);
                assertThat(participant.locks().holdsLocks(tx.id)).as("live %s holds its locks", tx).isTrue();
                assertThat(participant.hasPrepareRecord(tx.id)).as("only a peer's branch has a record: %s", tx).isEqualTo(!tx.local);
                for (Bytes k : tx.work.writes().keySet()) {
                    assertThat(participant.writeLockHolder(k)).as("write lock of %s on %s", tx, k).isEqualTo(tx.id);
                }
            } else {
                assertThat(participant.locks().holdsLocks(tx.id)).as("%s is not live but holds locks", tx).isFalse();
            }
        }
        int writes = 0;
        Set<Bytes> readOnlyKeys = new HashSet<>();
        for (int i = 0; i < live.size(); i++) {
            TxWork a = live.get(i).work;
            writes += a.writes().size();
            for (Bytes k : a.reads().keySet()) {
                if (!a.writes().containsKey(k)) {
                    readOnlyKeys.add(k);
                }
            }
            for (int j = i + 1; j < live.size(); j++) {
                TxWork b = live.get(j).work;
                for (Bytes k : a.writes().keySet()) {
                    assertThat(b.writes().containsKey(k) || b.reads().containsKey(k))
                            .as("live %s and %s conflict on %s", live.get(i), live.get(j), k).isFalse();
                }
                for (Bytes k : b.writes().keySet()) {
                    assertThat(a.reads().containsKey(k)).as("live %s reads %s written by live %s", live.get(i), k, live.get(j))
                            .isFalse();
                }
            }
        }
        assertThat(participant.locks().writeLockCount()).isEqualTo(writes);
        assertThat(participant.locks().readLockCount()).isEqualTo(readOnlyKeys.size());
        for (BranchId id : sim.records.keySet()) {
            assertThat(participant.hasPrepareRecord(id)).as("durable record of %s without a live branch", sim.byId.get(id)).isTrue();
        }
        for (BranchId id : participant.prepared()) {
            assertThat(sim.byId.get(id).local).as("the node's own branch listed in doubt").isFalse();
            boolean persisting = sim.pending.stream().anyMatch(e -> e.kind() == Kind.PREPARE && e.tx().id.equals(id));
            assertThat(sim.records.containsKey(id) || persisting).as("prepared %s has neither a record nor a sync in flight",
                    sim.byId.get(id)).isTrue();
        }
    }

    void atTheEnd() {
        Participant participant = sim.participant;
        assertThat(sim.records).as("prepare records left").isEmpty();
        assertThat(participant.prepared()).isEmpty();
        assertThat(participant.locks().writeLockCount()).isZero();
        assertThat(participant.locks().readLockCount()).isZero();
        for (Tx tx : sim.txs) {
            assertThat(participant.state(tx.id)).as("%s still live", tx).isNull();
            assertThat(tx.coord.terminal()).as("%s not finished", tx).isTrue();
            if (tx.coord == Coord.COMMITTED && !tx.work.isReadOnly()) {
                assertThat(tx.applied).as("committed %s applied exactly once", tx).isEqualTo(1);
            } else {
                assertThat(tx.applied).as("%s not committed but applied", tx).isZero();
            }
            if (tx.gotYes && tx.decidedCommit) {
                assertThat(tx.coord).isEqualTo(Coord.COMMITTED);
            }
        }
        // Replay the committed transactions in apply order: each one's reads must match.
        Map<Bytes, Stored> replay = new HashMap<>();
        for (Tx tx : sim.appliedOrder) {
            for (Map.Entry<Bytes, Bytes> r : tx.work.reads().entrySet()) {
                Stored s = replay.get(r.getKey());
                assertThat(s == null ? Bytes.EMPTY : s.version()).as("replay: read of %s by %s", r.getKey(), tx).isEqualTo(r.getValue());
            }
            for (Map.Entry<Bytes, byte[]> w : tx.work.writes().entrySet()) {
                if (w.getValue() == null) {
                    replay.remove(w.getKey());
                } else {
                    replay.put(w.getKey(), new Stored(tx.id.version(), w.getValue()));
                }
            }
        }
        assertThat(replay.keySet()).isEqualTo(sim.store.keySet());
        for (Bytes k : sim.store.keySet()) {
            assertThat(replay.get(k).version()).isEqualTo(sim.store.get(k).version());
            assertThat(Arrays.equals(replay.get(k).value(), sim.store.get(k).value())).as("value of %s", k).isTrue();
            Tx writer = sim.byId.get(new BranchId(131077, sim.store.get(k).version(), Bytes.utf8("b")));
            assertThat(writer.applied).as("the version of %s names an applied transaction", k).isEqualTo(1);
            assertThat(writer.coord).as("the version of %s names a committed transaction", k).isEqualTo(Coord.COMMITTED);
        }
    }
}
