package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One run of {@link ParticipantSimulationTest}: the scheduler, the coordinators and the node (what
 * {@code LocalNode} does with each {@link Step}). The invariants are checked by {@link ParticipantSimChecks}.
 */
final class ParticipantSim {

    /** What the coordinator of one transaction knows. Durable: it survives crashes of the node. */
    enum Coord {
        ACTIVE, // read done, nothing sent (a peer's branch) or not locked yet (the node's own)
        PREPARING, // prepare sent, waiting for the vote
        VOTED_YES, // YES received, decision not taken yet
        COMMITTING, // decision COMMIT logged, waiting for the ack
        ROLLING_BACK, // decision ROLLBACK taken, waiting for the ack
        LOCKED, // the node's own branch is locked, its decision not taken yet
        APPLYING, // the node's own commit (data + decision in one batch) is being written
        STUCK, // the node's own commit failed: it may surface, so the branch stays locked until a restart
        COMMITTED,
        ROLLED_BACK, // terminal: decided rollback and acknowledged
        ABORTED, // terminal: NO vote, or a lock wait that timed out (nothing applied)
        LOST, // terminal: the node's own transaction, cut by a crash before its commit was durable (presumed abort)
        READ_ONLY; // terminal

        boolean terminal() {
            return this == COMMITTED || this == ROLLED_BACK || this == ABORTED || this == LOST || this == READ_ONLY;
        }
    }

    enum Kind {
        PREPARE,
        COMMIT,
        ROLLBACK
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
        /** A transaction this node coordinates itself (its branch is locked by prepareLocally, without a record). */
        final boolean local;
        /** The node's own transaction is alone: it may wait for any lock holder. */
        final boolean waitForAnyone;
        Coord coord = Coord.ACTIVE;
        boolean decidedCommit;
        boolean decidedRollback;
        boolean gotYes;
        boolean gotNo;
        /** This participant answered a rollback of the branch without knowing it (since its last restart). */
        boolean rollbackUnknown;
        int applied;

        Tx(BranchId id, TxWork work, boolean local, boolean waitForAnyone) {
            this.id = id;
            this.work = work;
            this.local = local;
            this.waitForAnyone = waitForAnyone;
        }

        @Override
        public String toString() {
            return id.gtrid().toUtf8() + "[" + coord + (local ? ",own" : "") + ",p" + work.priority() + "]";
        }
    }

    /** A disk write the node started and has not finished; lost in a crash. */
    record Effect(Kind kind, Tx tx, boolean hadRecord) {
    }

    private static final int KEYS = 5;
    private static final int STEPS = 300;
    private static final int MAX_OPEN = 6;

    final Random rnd;
    final ParticipantSimulationTest.Stats stats = new ParticipantSimulationTest.Stats();
    final List<Bytes> keys = new ArrayList<>();
    final Map<Bytes, Stored> store = new HashMap<>();
    final Map<BranchId, TxWork> records = new HashMap<>();
    final List<Tx> txs = new ArrayList<>();
    final Map<BranchId, Tx> byId = new HashMap<>();
    final List<Tx> appliedOrder = new ArrayList<>();
    final List<Effect> pending = new ArrayList<>();
    final List<Msg> network = new ArrayList<>();
    final List<String> trace = new ArrayList<>();
    private final ParticipantSimChecks checks = new ParticipantSimChecks(this);
    private final ParticipantSimNode node = new ParticipantSimNode(this);
    Participant participant = newParticipant();
    boolean faults = true;
    int nextTx;

    ParticipantSim(long seed) {
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
            checks.invariants();
        }
        drain();
        checks.atTheEnd();
    }

    // ---------------------------------------------------------------- scheduler

    private void randomAction() {
        int roll = rnd.nextInt(100);
        if (roll < 12) {
            startTx();
        } else if (roll < 22) {
            sendFirst();
        } else if (roll < 42) {
            deliver(false);
        } else if (roll < 48) {
            deliver(true); // duplicate: deliver a copy, keep the original in flight
        } else if (roll < 51) {
            drop();
        } else if (roll < 70) {
            node.runEffect();
        } else if (roll < 80) {
            decide();
        } else if (roll < 90) {
            timeout();
        } else if (roll < 93) {
            crash(false);
        } else {
            recoveryPass();
        }
    }

    List<Tx> open() {
        return txs.stream().filter(t -> !t.coord.terminal()).toList();
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    private void startTx() {
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
        // Few distinct priorities: ties are broken by the global id.
        TxWork work = new TxWork(writes, reads, "coordinator-" + rnd.nextInt(3), 0, List.of(), 0, rnd.nextInt(20));
        boolean local = rnd.nextInt(100) < 35;
        Tx tx = new Tx(id, work, local, local && rnd.nextBoolean());
        txs.add(tx);
        byId.put(id, tx);
        log("start " + tx + " reads=" + reads.keySet() + " writes=" + writes.keySet());
    }

    private void sendFirst() {
        List<Tx> active = txs.stream().filter(t -> t.coord == Coord.ACTIVE).toList();
        if (active.isEmpty()) {
            return;
        }
        Tx tx = pick(active);
        if (tx.local) {
            node.lockLocally(tx);
        } else {
            tx.coord = Coord.PREPARING;
            send(Kind.PREPARE, tx);
        }
    }

    private void send(Kind kind, Tx tx) {
        network.add(new Msg(kind, tx));
    }

    private void drop() {
        if (!network.isEmpty() && faults) {
            Msg m = network.remove(rnd.nextInt(network.size()));
            log("drop " + m.kind() + " " + m.tx());
        }
    }

    /** A coordinator takes its decision on a transaction whose votes are in; a commit decision is logged first. */
    private void decide() {
        List<Tx> ready = txs.stream().filter(t -> t.coord == Coord.VOTED_YES || t.coord == Coord.LOCKED).toList();
        if (ready.isEmpty()) {
            return;
        }
        Tx tx = pick(ready);
        boolean commit = rnd.nextInt(100) < 75;
        log("decide " + (commit ? "commit " : "rollback ") + tx);
        if (tx.local) {
            node.decideLocally(tx, commit);
        } else if (commit) {
            tx.decidedCommit = true;
            tx.coord = Coord.COMMITTING;
            send(Kind.COMMIT, tx);
        } else {
            decideRollback(tx);
        }
    }

    private void decideRollback(Tx tx) {
        assertThat(tx.decidedCommit).as("coordinator model error: rollback after commit decision of %s", tx).isFalse();
        tx.decidedRollback = true;
        tx.coord = Coord.ROLLING_BACK;
        send(Kind.ROLLBACK, tx);
    }

    /** A coordinator that has waited long enough resends, or gives up a prepare (presumed abort). */
    private void timeout() {
        List<Tx> waiting = txs.stream().filter(t -> t.coord == Coord.PREPARING || t.coord == Coord.COMMITTING
                || t.coord == Coord.ROLLING_BACK).toList();
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
                    decideRollback(tx); // the rollback may overtake the prepare still in flight
                }
            }
            case COMMITTING -> send(Kind.COMMIT, tx);
            case ROLLING_BACK -> send(Kind.ROLLBACK, tx);
            default -> throw new AssertionError(tx.coord);
        }
    }

    /** Recovery: every branch the participant lists as prepared (in doubt) is finished. */
    private void recoveryPass() {
        for (BranchId id : participant.prepared()) {
            Tx tx = byId.get(id);
            assertThat(tx.local).as("the node's own branch %s listed in doubt", tx).isFalse();
            if (tx.decidedCommit) {
                send(Kind.COMMIT, tx);
            } else if (tx.coord != Coord.PREPARING || rnd.nextBoolean()) {
                // No commit decision logged: presumed abort.
                if (!tx.decidedRollback || tx.coord.terminal()) {
                    log("recovery presumes abort of " + tx);
                    tx.decidedRollback = true;
                    tx.coord = Coord.ROLLING_BACK;
                }
                send(Kind.ROLLBACK, tx);
            }
        }
    }

    void crash(boolean forced) {
        if (!faults && !forced) {
            return;
        }
        stats.crashes++;
        log("CRASH (lost " + pending.size() + " effects in flight); restoring " + records.keySet());
        pending.clear();
        // Messages in flight die with the node's connections; retries come only from the coordinators' timeouts.
        network.clear();
        for (Tx tx : txs) {
            tx.rollbackUnknown = false;
            if (tx.coord == Coord.LOCKED || tx.coord == Coord.APPLYING || tx.coord == Coord.STUCK) {
                // The node's own transaction: its decision is written with its data, so the store tells what happened.
                tx.coord = tx.applied == 1 ? Coord.COMMITTED : Coord.LOST;
                if (tx.coord == Coord.COMMITTED) {
                    stats.committedLocal++;
                } else {
                    stats.lostLocal++;
                }
                log("after the crash " + tx);
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

    private void deliver(boolean duplicate) {
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
        };
        log((duplicate ? "dup " : "deliver ") + m.kind() + " " + tx + " -> " + step);
        node.handle(m.kind(), tx, step);
    }

    // ---------------------------------------------------------------- a peer transaction's coordinator

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
                if (tx.coord == Coord.PREPARING) {
                    tx.gotNo = true;
                    tx.coord = Coord.ABORTED;
                    stats.votedNo++;
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
                }
            }
            case COMMITTED -> {
                if (tx.coord == Coord.COMMITTING) {
                    stats.committed2pc++;
                    tx.coord = Coord.COMMITTED;
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

    // ---------------------------------------------------------------- the end

    private void drain() {
        faults = false;
        log("--- drain");
        for (int i = 0; i < 20_000; i++) {
            if (!pending.isEmpty()) {
                node.runEffect();
            } else if (!network.isEmpty()) {
                deliver(false);
            } else if (txs.stream().anyMatch(t -> t.coord == Coord.ACTIVE)) {
                sendFirst();
            } else if (txs.stream().anyMatch(t -> t.coord == Coord.VOTED_YES || t.coord == Coord.LOCKED)) {
                decide();
            } else if (txs.stream().anyMatch(t -> t.coord == Coord.STUCK)) {
                crash(true); // only a restart settles a commit whose write failed
            } else if (!open().isEmpty()) {
                timeout();
            } else if (!participant.prepared().isEmpty()) {
                recoveryPass();
            } else {
                return;
            }
            checks.invariants();
        }
        throw new AssertionError("did not quiesce: open " + open() + ", prepared " + participant.prepared());
    }
}
