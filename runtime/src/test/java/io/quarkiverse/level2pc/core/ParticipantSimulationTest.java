package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Seeded randomized simulation of ONE {@link Participant} driven like {@code LocalNode} drives it, over
 * an in-memory store (key -> version, value) and an in-memory durable area of prepare records. Many
 * transactions over five keys read (recording the version they saw), then a random scheduler
 * interleaves their prepare / commit / rollback / one-phase messages, delays, reorders, drops and
 * duplicates those messages and their replies, fails syncs, and crashes the node (the participant and
 * every effect in flight are lost; a new participant is restored from the durable records). A
 * coordinator per transaction keeps its decision durably, retries, and runs a recovery pass that
 * finishes every prepared branch (presumed abort).
 *
 * <p>
 * After every step: no two live branches hold conflicting locks and the lock table agrees with them;
 * every durable record belongs to a live branch. At every apply: the branch's reads still hold
 * (serializability) and it is applied for the first time. At the end: the store equals the replay of
 * the applied transactions in apply order, every transaction the coordinator committed after a YES
 * vote is applied exactly once, and nothing of a rolled-back or NO-voted one is.
 *
 * <p>
 * Reproduce a failure with {@code -Dlevel2pc.sim.seed=<seed printed> -Dlevel2pc.sim.runs=1}.
 */
class ParticipantSimulationTest {

    private static final long DEFAULT_SEED = 0x2_9C_2026L;

    @Test
    void randomSchedulesWithDuplicatesDropsSyncFailuresAndCrashesStaySerializableAndAtomic() {
        long base = Long.getLong("level2pc.sim.seed", DEFAULT_SEED);
        int runs = Integer.getInteger("level2pc.sim.runs", 400);
        Stats total = new Stats();
        for (int i = 0; i < runs; i++) {
            long seed = base + i;
            Sim sim = new Sim(seed);
            try {
                sim.run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("simulation failed with seed " + seed + " (rerun with -Dlevel2pc.sim.seed=" + seed
                        + " -Dlevel2pc.sim.runs=1)\n" + sim.traceTail(), e);
            }
            total.add(sim.stats);
        }
        System.out.printf("simulation: %d runs from seed %d: %d 2PC commits, %d one-phase commits, %d rollbacks after YES, %d NO votes, "
                + "%d read-only, %d crashes, %d restored branches, %d duplicate YES, %d in-progress answers, %d failed syncs%n", runs, base,
                total.committed2pc, total.committed1pc, total.rolledBack, total.votedNo, total.readOnly, total.crashes,
                total.restoredBranches, total.duplicateYes, total.inProgress, total.syncFailures);
        // The schedules must actually exercise what the invariants guard, or the test proves nothing.
        assertThat(total.committed2pc).as("2PC commits").isGreaterThan(runs);
        assertThat(total.committed1pc).as("one-phase commits").isGreaterThan(runs / 2);
        assertThat(total.rolledBack).as("rollbacks after YES").isGreaterThan(runs / 4);
        assertThat(total.votedNo).as("NO votes").isGreaterThan(runs);
        assertThat(total.readOnly).as("read-only votes").isGreaterThan(runs / 4);
        assertThat(total.crashes).as("crashes").isGreaterThan(runs);
        assertThat(total.restoredBranches).as("branches restored after a crash").isGreaterThan(runs / 4);
        assertThat(total.duplicateYes).as("duplicate prepares answered from the durable record").isGreaterThan(runs / 10);
        assertThat(total.inProgress).as("calls that found a branch in progress").isGreaterThan(runs / 10);
        assertThat(total.syncFailures).as("failed syncs").isGreaterThan(runs / 4);
    }

    static final class Stats {
        int committed2pc, committed1pc, rolledBack, votedNo, readOnly, crashes, restoredBranches, duplicateYes, inProgress,
                syncFailures;

        void add(Stats s) {
            committed2pc += s.committed2pc;
            committed1pc += s.committed1pc;
            rolledBack += s.rolledBack;
            votedNo += s.votedNo;
            readOnly += s.readOnly;
            crashes += s.crashes;
            restoredBranches += s.restoredBranches;
            duplicateYes += s.duplicateYes;
            inProgress += s.inProgress;
            syncFailures += s.syncFailures;
        }
    }

    /** What the coordinator of one transaction knows. Durable: it survives crashes of the node. */
    enum Coord {
        ACTIVE, // read done, nothing sent yet
        PREPARING, // prepare sent, waiting for the vote
        VOTED_YES, // YES received, decision not taken yet
        COMMITTING, // decision COMMIT logged, waiting for the ack
        ROLLING_BACK, // decision ROLLBACK taken, waiting for the ack
        ONE_PHASE, // one-phase commit sent, waiting for its result
        COMMITTED,
        ROLLED_BACK, // terminal: decided rollback and acknowledged
        ABORTED, // terminal: NO vote, or a one-phase commit that failed (nothing applied)
        READ_ONLY, // terminal
        HAZARD; // terminal: the node crashed during a one-phase commit, outcome unknown (heuristic hazard)

        boolean terminal() {
            return this == COMMITTED || this == ROLLED_BACK || this == ABORTED || this == READ_ONLY || this == HAZARD;
        }
    }

    enum Kind {
        PREPARE,
        COMMIT,
        ROLLBACK,
        ONE_PHASE
    }

    record Msg(Kind kind, Tx tx) {
    }

    enum Reply {
        YES,
        NO,
        READ_ONLY,
        ERROR,
        COMMITTED,
        ROLLED_BACK
    }

    record Stored(Bytes version, byte[] value) {
    }

    static final class Tx {
        final BranchId id;
        final TxWork work;
        final boolean onePhase;
        /** A 2PC transaction whose commit message is a one-phase commit (last resource). */
        final boolean commitViaOnePhase;
        Coord coord = Coord.ACTIVE;
        boolean decidedCommit;
        boolean decidedRollback;
        boolean gotYes;
        boolean gotNo;
        int applied;

        Tx(BranchId id, TxWork work, boolean onePhase, boolean commitViaOnePhase) {
            this.id = id;
            this.work = work;
            this.onePhase = onePhase;
            this.commitViaOnePhase = commitViaOnePhase;
        }

        @Override
        public String toString() {
            return id.gtrid().toUtf8() + "[" + coord + (onePhase ? ",1pc" : "") + "]";
        }
    }

    /** A disk write the node started and has not finished; lost in a crash. */
    record Effect(Kind kind, Tx tx, boolean hadRecord) {
    }

    static final class Sim {
        private static final int KEYS = 5;
        private static final int STEPS = 300;
        private static final int MAX_OPEN = 6;

        final long seed;
        final Random rnd;
        final Stats stats = new Stats();
        final List<Bytes> keys = new ArrayList<>();
        final Map<Bytes, Stored> store = new HashMap<>();
        final Map<BranchId, TxWork> records = new HashMap<>();
        final List<Tx> txs = new ArrayList<>();
        final Map<BranchId, Tx> byId = new HashMap<>();
        final List<Tx> appliedOrder = new ArrayList<>();
        final List<Effect> pending = new ArrayList<>();
        final List<Msg> network = new ArrayList<>();
        final List<String> trace = new ArrayList<>();
        Participant participant = newParticipant();
        boolean faults = true;
        int nextTx;

        Sim(long seed) {
            this.seed = seed;
            this.rnd = new Random(seed);
            for (int i = 0; i < KEYS; i++) {
                keys.add(Bytes.utf8("k" + i));
            }
        }

        private static Participant newParticipant() {
            // Large enough that no outcome is forgotten within a run: Unknown then means "never heard of it".
            return new Participant(100_000);
        }

        Bytes versionOf(Bytes key) {
            Stored s = store.get(key);
            return s == null ? Bytes.EMPTY : s.version();
        }

        void log(String s) {
            trace.add(s);
        }

        String traceTail() {
            return String.join("\n", trace.subList(Math.max(0, trace.size() - 60), trace.size()));
        }

        void run() {
            for (int step = 0; step < STEPS; step++) {
                randomAction();
                checkInvariants();
            }
            drain();
            checkFinal();
        }

        // ---------------------------------------------------------------- scheduler

        void randomAction() {
            int roll = rnd.nextInt(100);
            if (roll < 12) {
                startTx();
            } else if (roll < 22) {
                sendFirst();
            } else if (roll < 44) {
                deliver(false);
            } else if (roll < 50) {
                deliver(true); // duplicate: deliver a copy, keep the original in flight
            } else if (roll < 53) {
                drop();
            } else if (roll < 70) {
                runEffect();
            } else if (roll < 78) {
                decide();
            } else if (roll < 88) {
                timeout();
            } else if (roll < 91) {
                crash();
            } else if (roll < 94) {
                recoveryPass();
            } else {
                runEffect();
            }
        }

        List<Tx> open() {
            return txs.stream().filter(t -> !t.coord.terminal()).toList();
        }

        <T> T pick(List<T> list) {
            return list.get(rnd.nextInt(list.size()));
        }

        void startTx() {
            if (open().size() >= MAX_OPEN) {
                return;
            }
            BranchId id = new BranchId(131077, Bytes.utf8("t" + nextTx++), Bytes.utf8("b"));
            TreeMap<Bytes, byte[]> writes = new TreeMap<>();
            Map<Bytes, Bytes> reads = new HashMap<>();
            boolean readOnly = rnd.nextInt(100) < 15;
            for (Bytes k : keys) {
                if (rnd.nextInt(100) < 40) {
                    // A read sees the committed store, even a key a prepared branch is about to change:
                    // validation at prepare must catch that.
                    reads.put(k, versionOf(k));
                }
                if (!readOnly && rnd.nextInt(100) < 30) {
                    writes.put(k, rnd.nextInt(5) == 0 ? null : (id.gtrid().toUtf8() + "@" + k.toUtf8()).getBytes(StandardCharsets.UTF_8));
                }
            }
            boolean onePhase = rnd.nextInt(100) < 25;
            Tx tx = new Tx(id, new TxWork(writes, reads, "coordinator-" + rnd.nextInt(3)), onePhase, !onePhase && rnd.nextInt(100) < 20);
            txs.add(tx);
            byId.put(id, tx);
            log("start " + tx + " reads=" + reads.keySet() + " writes=" + writes.keySet());
        }

        void sendFirst() {
            List<Tx> active = txs.stream().filter(t -> t.coord == Coord.ACTIVE).toList();
            if (active.isEmpty()) {
                return;
            }
            Tx tx = pick(active);
            if (tx.onePhase) {
                tx.coord = Coord.ONE_PHASE;
                send(Kind.ONE_PHASE, tx);
            } else {
                tx.coord = Coord.PREPARING;
                send(Kind.PREPARE, tx);
            }
        }

        void send(Kind kind, Tx tx) {
            network.add(new Msg(kind, tx));
        }

        void drop() {
            if (!network.isEmpty() && faults) {
                Msg m = network.remove(rnd.nextInt(network.size()));
                log("drop " + m.kind() + " " + m.tx());
            }
        }

        /** The coordinator takes its decision on a transaction that voted YES; the decision is logged first. */
        void decide() {
            List<Tx> voted = txs.stream().filter(t -> t.coord == Coord.VOTED_YES).toList();
            if (voted.isEmpty()) {
                return;
            }
            Tx tx = pick(voted);
            if (rnd.nextInt(100) < 75) {
                tx.decidedCommit = true;
                tx.coord = Coord.COMMITTING;
                // The last resource may get a one-phase commit even though it was prepared.
                send(tx.commitViaOnePhase ? Kind.ONE_PHASE : Kind.COMMIT, tx);
            } else {
                decideRollback(tx);
            }
            log("decide " + tx);
        }

        void decideRollback(Tx tx) {
            if (tx.decidedCommit) {
                throw new AssertionError("coordinator model error: rollback after commit decision of " + tx);
            }
            tx.decidedRollback = true;
            tx.coord = Coord.ROLLING_BACK;
            send(Kind.ROLLBACK, tx);
        }

        /** Retries of a logged commit decision are plain 2PC commits (as Narayana's recovery does). */
        void sendCommit(Tx tx) {
            send(Kind.COMMIT, tx);
        }

        /** A coordinator that has waited long enough resends, or gives up a prepare (presumed abort). */
        void timeout() {
            List<Tx> waiting = txs.stream().filter(t -> t.coord == Coord.PREPARING || t.coord == Coord.COMMITTING
                    || t.coord == Coord.ROLLING_BACK || t.coord == Coord.ONE_PHASE).toList();
            if (waiting.isEmpty()) {
                return;
            }
            Tx tx = pick(waiting);
            switch (tx.coord) {
                case PREPARING -> {
                    if (rnd.nextBoolean()) {
                        send(Kind.PREPARE, tx);
                    } else {
                        log("prepare timed out " + tx);
                        decideRollback(tx);
                    }
                }
                case COMMITTING -> sendCommit(tx);
                case ROLLING_BACK -> send(Kind.ROLLBACK, tx);
                case ONE_PHASE -> send(Kind.ONE_PHASE, tx);
                default -> throw new AssertionError(tx.coord);
            }
        }

        /** Narayana's recovery: every branch the participant lists as prepared is finished. */
        void recoveryPass() {
            for (BranchId id : participant.prepared()) {
                Tx tx = byId.get(id);
                if (tx.decidedCommit) {
                    sendCommit(tx);
                } else if (tx.coord != Coord.PREPARING || rnd.nextBoolean()) {
                    // No commit decision logged: presumed abort.
                    if (!tx.decidedRollback || tx.coord.terminal()) {
                        log("recovery presumes abort of " + tx);
                        decideRollback(tx);
                    } else {
                        send(Kind.ROLLBACK, tx);
                    }
                }
            }
        }

        void crash() {
            if (!faults) {
                return;
            }
            stats.crashes++;
            log("CRASH (lost " + pending.size() + " effects in flight); restoring " + records.keySet());
            pending.clear();
            // Messages in flight die with the node's connections: the restarted node forgot every
            // finished branch, so a stale prepare, commit or one-phase commit from its previous life
            // could run a finished branch again. Retries come only from the coordinators' timeouts. A
            // one-phase commit cut by the crash has an unknown outcome and is never retried.
            network.clear();
            for (Tx tx : txs) {
                if (tx.coord == Coord.ONE_PHASE) {
                    tx.coord = Coord.HAZARD;
                    log("heuristic hazard " + tx);
                }
            }
            participant = newParticipant();
            List<Map.Entry<BranchId, TxWork>> recs = new ArrayList<>(records.entrySet());
            Collections.shuffle(recs, rnd);
            for (Map.Entry<BranchId, TxWork> r : recs) {
                participant.restore(r.getKey(), r.getValue());
                stats.restoredBranches++;
            }
        }

        // ---------------------------------------------------------------- the node (what LocalNode does)

        void deliver(boolean duplicate) {
            if (network.isEmpty()) {
                return;
            }
            int i = rnd.nextInt(network.size());
            Msg m = duplicate ? network.get(i) : network.remove(i);
            Tx tx = m.tx();
            Step step = switch (m.kind()) {
                case PREPARE -> participant.prepare(tx.id, tx.work, this::versionOf);
                case COMMIT -> participant.commit(tx.id);
                case ROLLBACK -> participant.rollback(tx.id);
                case ONE_PHASE -> participant.commitOnePhase(tx.id, tx.work, this::versionOf);
            };
            log((duplicate ? "dup " : "deliver ") + m.kind() + " " + tx + " -> " + step.getClass().getSimpleName());
            handle(m.kind(), tx, step);
        }

        void handle(Kind kind, Tx tx, Step step) {
            if (step instanceof Step.PersistThenVoteYes p) {
                assertThat(kind).isEqualTo(Kind.PREPARE);
                assertThat(p.work()).isEqualTo(tx.work);
                if (p.alreadyDurable()) {
                    // Persist before you vote: a YES without a sync of our own needs the record on disk.
                    assertThat(records).as("YES for %s answered as already durable", tx).containsKey(tx.id);
                    stats.duplicateYes++;
                    reply(tx, Reply.YES);
                } else {
                    assertThat(records).as("fresh prepare of %s that already has a record", tx).doesNotContainKey(tx.id);
                    pending.add(new Effect(Kind.PREPARE, tx, false));
                }
            } else if (step instanceof Step.VoteReadOnly) {
                assertThat(kind).isEqualTo(Kind.PREPARE);
                assertThat(tx.work.isReadOnly()).isTrue();
                assertReadsHold(tx, "read-only vote");
                reply(tx, Reply.READ_ONLY);
            } else if (step instanceof Step.VoteNo no) {
                assertThat(kind).isIn(Kind.PREPARE, Kind.ONE_PHASE);
                assertThat(participant.state(tx.id)).as("a NO vote leaves no live branch").isNull();
                assertThat(participant.locks().holdsLocks(tx.id)).as("a NO vote holds no locks").isFalse();
                Conflict c = no.conflict();
                if (c.kind() == Conflict.Kind.VERSION_CHANGED) {
                    assertThat(versionOf(c.key())).isNotEqualTo(tx.work.reads().get(c.key()));
                } else {
                    assertThat(participant.state(c.holder())).as("a LOCKED conflict names a live holder").isNotNull();
                }
                reply(tx, Reply.NO);
            } else if (step instanceof Step.Apply a) {
                assertThat(kind).isIn(Kind.COMMIT, Kind.ONE_PHASE);
                assertThat(a.work()).isEqualTo(tx.work);
                if (!tx.onePhase) {
                    assertThat(tx.decidedCommit).as("apply of %s without a commit decision", tx).isTrue();
                }
                assertThat(a.hadPrepareRecord()).as("hadPrepareRecord of %s", tx).isEqualTo(records.containsKey(tx.id));
                pending.add(new Effect(Kind.COMMIT, tx, a.hadPrepareRecord()));
            } else if (step instanceof Step.Discard) {
                assertThat(kind).isEqualTo(Kind.ROLLBACK);
                assertThat(records).as("discard of %s without a record", tx).containsKey(tx.id);
                pending.add(new Effect(Kind.ROLLBACK, tx, true));
            } else if (step instanceof Step.AlreadyDone done) {
                if (done.outcome() == Outcome.COMMITTED) {
                    assertThat(kind).isIn(Kind.COMMIT, Kind.ONE_PHASE);
                    if (tx.work.isReadOnly() && tx.onePhase) {
                        assertReadsHold(tx, "read-only one-phase commit");
                    } else {
                        assertThat(tx.applied).as("AlreadyDone COMMITTED of %s", tx).isEqualTo(1);
                    }
                    reply(tx, Reply.COMMITTED);
                } else {
                    assertThat(kind).isEqualTo(Kind.ROLLBACK);
                    assertThat(tx.applied).isZero();
                    reply(tx, Reply.ROLLED_BACK);
                }
            } else if (step instanceof Step.InProgress) {
                stats.inProgress++; // the sender retries after a timeout
            } else if (step instanceof Step.Unknown) {
                assertThat(kind).isIn(Kind.COMMIT, Kind.ROLLBACK);
                assertThat(records).as("Unknown for %s that has a prepare record", tx).doesNotContainKey(tx.id);
                if (kind == Kind.COMMIT) {
                    // XA_NOTA on commit is success only if the branch was in fact applied (crash after apply).
                    assertThat(tx.applied).as("commit of %s answered Unknown: a branch that voted YES was lost", tx).isEqualTo(1);
                    reply(tx, Reply.COMMITTED);
                } else {
                    assertThat(tx.applied).isZero();
                    reply(tx, Reply.ROLLED_BACK);
                }
            } else if (step instanceof Step.Refused r) {
                // Only stale prepares may be refused; the coordinator never contradicts itself.
                assertThat(kind).as("refused %s of %s: %s", kind, tx, r.reason()).isEqualTo(Kind.PREPARE);
                assertThat(participant.state(tx.id) != null || participant.outcome(tx.id) != null).isTrue();
            } else {
                throw new AssertionError("unexpected step " + step);
            }
        }

        void runEffect() {
            if (pending.isEmpty()) {
                return;
            }
            Effect e = pending.remove(rnd.nextInt(pending.size()));
            Tx tx = e.tx();
            boolean fail = faults && rnd.nextInt(100) < 8;
            if (fail) {
                stats.syncFailures++;
            }
            log("effect " + e.kind() + " " + tx + (fail ? " FAILS" : ""));
            switch (e.kind()) {
                case PREPARE -> {
                    if (fail) {
                        participant.abandon(tx.id);
                        assertThat(participant.state(tx.id)).isNull();
                        reply(tx, Reply.ERROR);
                    } else {
                        assertThat(participant.state(tx.id)).as("record of %s written for a branch that is not prepared", tx)
                                .isEqualTo(Participant.State.PREPARED);
                        records.put(tx.id, tx.work);
                        confirmDurable(tx.id);
                        reply(tx, Reply.YES);
                    }
                }
                case COMMIT -> {
                    if (fail) {
                        participant.retryLater(tx.id);
                        if (e.hadRecord()) {
                            assertThat(participant.state(tx.id)).isEqualTo(Participant.State.PREPARED);
                        } else {
                            assertThat(participant.state(tx.id)).isNull();
                            reply(tx, Reply.ERROR);
                        }
                    } else {
                        apply(tx, e.hadRecord());
                        participant.finished(tx.id, Outcome.COMMITTED);
                        reply(tx, Reply.COMMITTED);
                    }
                }
                case ROLLBACK -> {
                    if (fail) {
                        participant.retryLater(tx.id);
                        assertThat(participant.state(tx.id)).isEqualTo(Participant.State.PREPARED);
                    } else {
                        assertThat(tx.decidedCommit).isFalse();
                        assertThat(records.remove(tx.id)).as("discarded record of %s", tx).isNotNull();
                        participant.finished(tx.id, Outcome.ROLLED_BACK);
                        reply(tx, Reply.ROLLED_BACK);
                    }
                }
                default -> throw new AssertionError(e);
            }
        }

        /** What the caller does once the prepare record is synced (Participant#persisted). */
        void confirmDurable(BranchId id) {
            participant.persisted(id);
        }

        /** One atomic synced batch: the writes stamped with the branch's version, and the record's removal. */
        void apply(Tx tx, boolean hadRecord) {
            assertThat(tx.applied).as("%s applied twice", tx).isZero();
            assertThat(tx.decidedRollback).as("%s applied after a rollback decision", tx).isFalse();
            assertThat(tx.gotNo && !tx.gotYes).as("%s applied after a NO vote", tx).isFalse();
            assertReadsHold(tx, "apply");
            for (Map.Entry<Bytes, byte[]> w : tx.work.writes().entrySet()) {
                if (w.getValue() == null) {
                    store.remove(w.getKey());
                } else {
                    store.put(w.getKey(), new Stored(tx.id.version(), w.getValue()));
                }
            }
            if (hadRecord) {
                assertThat(records.remove(tx.id)).isNotNull();
            }
            tx.applied++;
            appliedOrder.add(tx);
        }

        void assertReadsHold(Tx tx, String when) {
            for (Map.Entry<Bytes, Bytes> r : tx.work.reads().entrySet()) {
                assertThat(versionOf(r.getKey()))
                        .as("serializability: at %s of %s, key %s no longer has the version it read", when, tx, r.getKey())
                        .isEqualTo(r.getValue());
            }
        }

        // ---------------------------------------------------------------- the coordinator

        void reply(Tx tx, Reply r) {
            if (faults && rnd.nextInt(100) < 5) {
                log("reply " + r + " to " + tx + " lost");
                return;
            }
            log("reply " + r + " to " + tx);
            switch (r) {
                case YES -> {
                    if (tx.coord == Coord.PREPARING) {
                        tx.gotYes = true;
                        tx.coord = Coord.VOTED_YES;
                    } else if (!tx.decidedCommit && tx.coord != Coord.VOTED_YES && tx.coord != Coord.ROLLING_BACK) {
                        // A stale prepare prepared the branch again after the coordinator gave up: roll it back.
                        decideRollback(tx);
                    }
                }
                case NO -> {
                    if (tx.coord == Coord.PREPARING || tx.coord == Coord.ONE_PHASE) {
                        tx.gotNo = true;
                        tx.coord = Coord.ABORTED;
                        stats.votedNo++;
                        forgetOnePhase(tx);
                    }
                }
                case READ_ONLY -> {
                    if (tx.coord == Coord.PREPARING) {
                        tx.coord = Coord.READ_ONLY;
                        stats.readOnly++;
                    }
                }
                case ERROR -> {
                    if (tx.coord == Coord.PREPARING) {
                        decideRollback(tx);
                    } else if (tx.coord == Coord.ONE_PHASE) {
                        tx.coord = Coord.ABORTED;
                        forgetOnePhase(tx);
                    }
                }
                case COMMITTED -> {
                    if (tx.coord == Coord.COMMITTING || tx.coord == Coord.ONE_PHASE) {
                        if (tx.onePhase) {
                            stats.committed1pc++;
                        } else {
                            stats.committed2pc++;
                        }
                        tx.coord = Coord.COMMITTED;
                        forgetOnePhase(tx);
                    }
                }
                case ROLLED_BACK -> {
                    if (tx.coord == Coord.ROLLING_BACK) {
                        if (tx.gotYes) {
                            stats.rolledBack++;
                        }
                        tx.coord = Coord.ROLLED_BACK;
                    }
                }
            }
        }

        /**
         * A one-phase commit is not idempotent once the participant forgot the branch (a NO vote or a
         * failed apply is not remembered, nor is anything after a restart), so the transport must not
         * redeliver it once the sender has its answer.
         */
        void forgetOnePhase(Tx tx) {
            network.removeIf(m -> m.tx() == tx && m.kind() == Kind.ONE_PHASE);
        }

        // ---------------------------------------------------------------- checks

        void checkInvariants() {
            List<Tx> live = new ArrayList<>();
            for (Tx tx : txs) {
                if (participant.state(tx.id) != null) {
                    live.add(tx);
                    assertThat(participant.locks().holdsLocks(tx.id)).as("live %s holds its locks", tx).isTrue();
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
            for (BranchId id : records.keySet()) {
                assertThat(participant.state(id)).as("durable record of %s without a live branch", byId.get(id)).isNotNull();
            }
            for (BranchId id : participant.prepared()) {
                boolean persisting = pending.stream().anyMatch(e -> e.kind() == Kind.PREPARE && e.tx().id.equals(id));
                assertThat(records.containsKey(id) || persisting).as("prepared %s has neither a record nor a sync in flight", byId.get(id))
                        .isTrue();
            }
        }

        void drain() {
            faults = false;
            log("--- drain");
            for (int i = 0; i < 20_000; i++) {
                if (!pending.isEmpty()) {
                    runEffect();
                } else if (!network.isEmpty()) {
                    deliver(false);
                } else if (txs.stream().anyMatch(t -> t.coord == Coord.ACTIVE)) {
                    sendFirst();
                } else if (txs.stream().anyMatch(t -> t.coord == Coord.VOTED_YES)) {
                    decide();
                } else if (!open().isEmpty()) {
                    timeout();
                } else if (!participant.prepared().isEmpty()) {
                    recoveryPass();
                } else {
                    return;
                }
                checkInvariants();
            }
            throw new AssertionError("did not quiesce: open " + open() + ", prepared " + participant.prepared());
        }

        void checkFinal() {
            assertThat(records).as("prepare records left").isEmpty();
            assertThat(participant.prepared()).isEmpty();
            assertThat(participant.locks().writeLockCount()).isZero();
            assertThat(participant.locks().readLockCount()).isZero();
            for (Tx tx : txs) {
                assertThat(participant.state(tx.id)).as("%s still live", tx).isNull();
                if (tx.coord == Coord.COMMITTED && !tx.work.isReadOnly()) {
                    assertThat(tx.applied).as("committed %s applied exactly once", tx).isEqualTo(1);
                } else if (tx.coord == Coord.HAZARD) {
                    assertThat(tx.applied).as("%s applied at most once", tx).isBetween(0, 1);
                } else {
                    assertThat(tx.applied).as("%s not committed but applied", tx).isZero();
                }
                if (tx.gotYes && tx.decidedCommit) {
                    assertThat(tx.coord).isEqualTo(Coord.COMMITTED);
                }
            }
            // Replay the committed transactions in apply order: each one's reads must match.
            Map<Bytes, Stored> replay = new HashMap<>();
            for (Tx tx : appliedOrder) {
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
            assertThat(replay.keySet()).isEqualTo(store.keySet());
            for (Bytes k : store.keySet()) {
                assertThat(replay.get(k).version()).isEqualTo(store.get(k).version());
                assertThat(Arrays.equals(replay.get(k).value(), store.get(k).value())).as("value of %s", k).isTrue();
                Tx writer = byId.get(new BranchId(131077, store.get(k).version(), Bytes.utf8("b")));
                assertThat(writer.applied).as("the version of %s names an applied transaction", k).isEqualTo(1);
                assertThat(writer.coord).as("the version of %s names a committed transaction", k).isIn(Coord.COMMITTED, Coord.HAZARD);
            }
        }
    }
}
