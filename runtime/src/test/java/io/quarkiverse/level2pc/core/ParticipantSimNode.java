package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.quarkiverse.level2pc.core.ParticipantSim.Coord;
import io.quarkiverse.level2pc.core.ParticipantSim.Effect;
import io.quarkiverse.level2pc.core.ParticipantSim.Kind;
import io.quarkiverse.level2pc.core.ParticipantSim.Reply;
import io.quarkiverse.level2pc.core.ParticipantSim.Stored;
import io.quarkiverse.level2pc.core.ParticipantSim.Tx;

/** The node of {@link ParticipantSim}: what it does with each step of the participant, and its disk writes. */
final class ParticipantSimNode {

    private final ParticipantSim sim;
    private final ParticipantSimChecks checks;

    ParticipantSimNode(ParticipantSim sim) {
        this.sim = sim;
        this.checks = new ParticipantSimChecks(sim);
    }

    void handle(Kind kind, Tx tx, Step step) {
        Participant participant = sim.participant;
        if (step instanceof Step.PersistThenVoteYes p) {
            assertThat(kind).isEqualTo(Kind.PREPARE);
            assertThat(p.work()).isEqualTo(tx.work);
            if (p.alreadyDurable()) {
                // Persist before you vote: a YES without a sync of our own needs the record on disk.
                assertThat(sim.records).as("YES for %s answered as already durable", tx).containsKey(tx.id);
                sim.stats.duplicateYes++;
                sim.reply(tx, Reply.YES);
            } else {
                assertThat(sim.records).as("fresh prepare of %s that already has a record", tx).doesNotContainKey(tx.id);
                assertThat(tx.rollbackUnknown).as("%s prepared after its rollback was answered", tx).isFalse();
                sim.pending.add(new Effect(Kind.PREPARE, tx, false));
            }
        } else if (step instanceof Step.Wait w) {
            assertThat(kind).isEqualTo(Kind.PREPARE);
            checks.aWait(tx, w);
            if (sim.rnd.nextInt(100) < 60) {
                sim.network.add(new ParticipantSim.Msg(Kind.PREPARE, tx)); // the node waits for the holder, then asks again
            } else {
                sim.log("lock wait timed out " + tx);
                sim.reply(tx, Reply.ERROR);
            }
        } else if (step instanceof Step.VoteReadOnly) {
            assertThat(kind).isEqualTo(Kind.PREPARE);
            assertThat(tx.work.isReadOnly()).isTrue();
            checks.readsHold(tx, "read-only vote");
            sim.reply(tx, Reply.READ_ONLY);
        } else if (step instanceof Step.VoteNo no) {
            assertThat(kind).isEqualTo(Kind.PREPARE);
            checks.aNoVote(tx, no);
            sim.reply(tx, Reply.NO);
        } else if (step instanceof Step.Apply a) {
            assertThat(kind).isEqualTo(Kind.COMMIT);
            assertThat(a.work()).isEqualTo(tx.work);
            assertThat(tx.decidedCommit).as("apply of %s without a commit decision", tx).isTrue();
            assertThat(a.hadPrepareRecord()).as("hadPrepareRecord of %s", tx).isTrue();
            assertThat(sim.records).containsKey(tx.id);
            sim.pending.add(new Effect(Kind.COMMIT, tx, true));
        } else if (step instanceof Step.Discard d) {
            assertThat(kind).isEqualTo(Kind.ROLLBACK);
            assertThat(d.hadPrepareRecord()).as("a peer's branch has a record").isTrue();
            assertThat(sim.records).as("discard of %s without a record", tx).containsKey(tx.id);
            sim.pending.add(new Effect(Kind.ROLLBACK, tx, true));
        } else if (step instanceof Step.AlreadyDone done) {
            if (done.outcome() == Outcome.COMMITTED) {
                assertThat(kind).isEqualTo(Kind.COMMIT);
                assertThat(tx.applied).as("AlreadyDone COMMITTED of %s", tx).isEqualTo(1);
                sim.reply(tx, Reply.COMMITTED);
            } else {
                assertThat(kind).isEqualTo(Kind.ROLLBACK);
                assertThat(tx.applied).isZero();
                sim.reply(tx, Reply.ROLLED_BACK);
            }
        } else if (step instanceof Step.InProgress) {
            sim.stats.inProgress++; // the sender retries after a timeout
        } else if (step instanceof Step.Unknown) {
            assertThat(kind).isIn(Kind.COMMIT, Kind.ROLLBACK);
            assertThat(sim.records).as("Unknown for %s that has a prepare record", tx).doesNotContainKey(tx.id);
            if (kind == Kind.COMMIT) {
                // XA_NOTA on commit is success only if the branch was in fact applied (crash after apply).
                assertThat(tx.applied).as("commit of %s answered Unknown: a branch that voted YES was lost", tx).isEqualTo(1);
                sim.reply(tx, Reply.COMMITTED);
            } else {
                assertThat(tx.applied).isZero();
                assertThat(participant.outcome(tx.id)).as("a rollback of an unknown branch is remembered").isEqualTo(Outcome.ROLLED_BACK);
                tx.rollbackUnknown = true;
                sim.reply(tx, Reply.ROLLED_BACK);
            }
        } else if (step instanceof Step.Refused r) {
            // Only stale prepares may be refused; the coordinator never contradicts itself.
            assertThat(kind).as("refused %s of %s: %s", kind, tx, r.reason()).isEqualTo(Kind.PREPARE);
            assertThat(participant.state(tx.id) != null || participant.outcome(tx.id) != null).isTrue();
            if (tx.rollbackUnknown) {
                assertThat(participant.locks().holdsLocks(tx.id)).isFalse();
                assertThat(tx.applied).isZero();
                sim.stats.refusedAfterRollback++;
            }
        } else {
            throw new AssertionError("unexpected step " + step);
        }
    }

    /** The node locks its own branch; alone, it may wait for any holder. */
    void lockLocally(Tx tx) {
        Step step = sim.participant.prepareLocally(tx.id, tx.work, sim::versionOf, tx.waitForAnyone);
        sim.log("lock " + tx + " -> " + step);
        if (step instanceof Step.Locked) {
            if (tx.work.isReadOnly()) {
                checks.readsHold(tx, "read-only own transaction");
                assertThat(sim.participant.state(tx.id)).isNull();
                tx.coord = Coord.READ_ONLY;
                sim.stats.readOnly++;
            } else {
                assertThat(sim.participant.state(tx.id)).isEqualTo(Participant.State.PREPARED);
                assertThat(sim.participant.hasPrepareRecord(tx.id)).isFalse();
                tx.coord = Coord.LOCKED;
            }
        } else if (step instanceof Step.Wait w) {
            checks.aWait(tx, w);
            if (sim.rnd.nextInt(100) < 30) {
                sim.log("lock wait timed out " + tx);
                tx.coord = Coord.ABORTED; // nothing held, nothing written
            }
        } else if (step instanceof Step.VoteNo no) {
            checks.aNoVote(tx, no);
            tx.coord = Coord.ABORTED;
            sim.stats.votedNo++;
        } else {
            throw new AssertionError("unexpected step for the node's own branch " + tx + ": " + step);
        }
    }

    /** The node's own branch: commit (data and decision, one batch) or roll back (nothing to write). */
    void decideLocally(Tx tx, boolean commit) {
        if (commit) {
            tx.decidedCommit = true;
            assertThat(sim.participant.commit(tx.id)).isEqualTo(new Step.Apply(tx.id, tx.work, false));
            tx.coord = Coord.APPLYING;
            sim.pending.add(new Effect(Kind.COMMIT, tx, false));
        } else {
            tx.decidedRollback = true;
            assertThat(sim.participant.rollback(tx.id)).isEqualTo(new Step.Discard(tx.id, false));
            sim.participant.finished(tx.id, Outcome.ROLLED_BACK); // no record: finished straight away
            tx.coord = Coord.ROLLED_BACK;
            sim.stats.rolledBackLocal++;
        }
    }

    void runEffect() {
        if (sim.pending.isEmpty()) {
            return;
        }
        Effect e = sim.pending.remove(sim.rnd.nextInt(sim.pending.size()));
        Tx tx = e.tx();
        boolean fail = sim.faults && sim.rnd.nextInt(100) < 8;
        if (fail) {
            sim.stats.syncFailures++;
        }
        sim.log("effect " + e.kind() + " " + tx + (fail ? " FAILS" : ""));
        switch (e.kind()) {
            case PREPARE -> {
                if (fail) {
                    sim.participant.abandon(tx.id);
                    assertThat(sim.participant.state(tx.id)).isNull();
                    sim.reply(tx, Reply.ERROR);
                } else {
                    assertThat(sim.participant.state(tx.id)).as("record of %s written for a branch that is not prepared", tx)
                            .isEqualTo(Participant.State.PREPARED);
                    sim.records.put(tx.id, tx.work);
                    sim.participant.persisted(tx.id);
                    sim.reply(tx, Reply.YES);
                }
            }
            case COMMIT -> {
                if (fail) {
                    sim.participant.retryLater(tx.id);
                    assertThat(sim.participant.state(tx.id)).isEqualTo(Participant.State.PREPARED);
                    if (tx.local) {
                        // A failed sync whose data may have reached the disk: neither outcome is safe until a restart.
                        if (sim.rnd.nextBoolean()) {
                            apply(tx, false);
                        }
                        tx.coord = Coord.STUCK;
                    }
                } else {
                    apply(tx, e.hadRecord());
                    sim.participant.finished(tx.id, Outcome.COMMITTED);
                    if (tx.local) {
                        tx.coord = Coord.COMMITTED;
                        sim.stats.committedLocal++;
                    } else {
                        sim.reply(tx, Reply.COMMITTED);
                    }
                }
            }
            case ROLLBACK -> {
                if (fail) {
                    sim.participant.retryLater(tx.id);
                    assertThat(sim.participant.state(tx.id)).isEqualTo(Participant.State.PREPARED);
                } else {
                    assertThat(tx.decidedCommit).isFalse();
                    assertThat(sim.records.remove(tx.id)).as("discarded record of %s", tx).isNotNull();
                    sim.participant.finished(tx.id, Outcome.ROLLED_BACK);
                    sim.reply(tx, Reply.ROLLED_BACK);
                }
            }
            default -> throw new AssertionError(e);
        }
    }

    /** One atomic synced batch: the writes stamped with the branch's version, and the record's removal. */
    private void apply(Tx tx, boolean hadRecord) {
        assertThat(tx.applied).as("%s applied twice", tx).isZero();
        assertThat(tx.decidedRollback).as("%s applied after a rollback decision", tx).isFalse();
        assertThat(tx.decidedCommit).as("%s applied without a commit decision", tx).isTrue();
        assertThat(tx.gotNo && !tx.gotYes).as("%s applied after a NO vote", tx).isFalse();
        checks.readsHold(tx, "apply");
        for (Map.Entry<Bytes, byte[]> w : tx.work.writes().entrySet()) {
            if (w.getValue() == null) {
                sim.store.remove(w.getKey());
            } else {
                sim.store.put(w.getKey(), new Stored(tx.id.version(), w.getValue()));
            }
        }
        if (hadRecord) {
            assertThat(sim.records.remove(tx.id)).isNotNull();
        }
        tx.applied++;
        sim.appliedOrder.add(tx);
    }
}
