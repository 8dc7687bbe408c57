package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Seeded randomized simulation of ONE {@link Participant} driven like {@code LocalNode} drives it, over
 * an in-memory store (key -> version, value) and an in-memory durable area of prepare records (see
 * {@link ParticipantSim}). Many transactions over five keys read (recording the version they saw); some are
 * branches of peers' transactions (prepare / commit / rollback messages), the others are transactions this
 * node coordinates itself ({@link Participant#prepareLocally}, then a commit that writes the decision with the
 * data, or a rollback). A random scheduler interleaves them, delays, reorders, drops and duplicates messages
 * and their replies, lets rollbacks overtake their prepares, makes colliding prepares wait or die, fails syncs,
 * and crashes the node (the participant and every effect in flight are lost; a new participant is restored
 * from the durable records). A coordinator per peer transaction keeps its decision durably, retries, and runs
 * a recovery pass that finishes every prepared branch (presumed abort).
 *
 * <p>
 * After every step: no two live branches hold conflicting locks and the lock table agrees with them;
 * every durable record belongs to a live branch with a record; the coordinator's own branches are never in
 * doubt. At every wait: the waiter holds nothing and is older than the holder (wait-die). At every apply: the
 * branch's reads still hold (serializability) and it is applied for the first time. At the end: the store
 * equals the replay of the applied transactions in apply order, every transaction committed is applied
 * exactly once, and nothing of a rolled-back, NO-voted or lost one is.
 *
 * <p>
 * Reproduce a failure with {@code -Dlevel2pc.sim.seed=<seed printed> -Dlevel2pc.sim.runs=1}. (A transaction's
 * reads are an immutable map whose iteration order varies between JVMs; it may decide which of two lock holders
 * a conflict names, so a rerun usually, not always, takes the same path.)
 */
class ParticipantSimulationTest {

    private static final long DEFAULT_SEED = 0x2_9C_2026L;

    @Test
    void randomSchedulesWithDuplicatesDropsWaitsSyncFailuresAndCrashesStaySerializableAndAtomic() {
        long base = Long.getLong("level2pc.sim.seed", DEFAULT_SEED);
        int runs = Integer.getInteger("level2pc.sim.runs", 400);
        Stats total = new Stats();
        for (int i = 0; i < runs; i++) {
            long seed = base + i;
            ParticipantSim sim = new ParticipantSim(seed);
            try {
                sim.run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("simulation failed with seed " + seed + " (rerun with -Dlevel2pc.sim.seed=" + seed
                        + " -Dlevel2pc.sim.runs=1)\n" + sim.traceTail(), e);
            }
            total.add(sim.stats);
        }
        System.out.printf("simulation: %d runs from seed %d: %s%n", runs, base, total);
        // The schedules must actually exercise what the invariants guard, or the test proves nothing.
        assertThat(total.committed2pc).as("2PC commits").isGreaterThan(runs);
        assertThat(total.committedLocal).as("commits of the node's own transactions").isGreaterThan(runs);
        assertThat(total.rolledBack).as("rollbacks after YES").isGreaterThan(runs / 4);
        assertThat(total.rolledBackLocal).as("rollbacks of the node's own locked branches").isGreaterThan(runs / 4);
        assertThat(total.votedNo).as("NO votes").isGreaterThan(runs);
        assertThat(total.readOnly).as("read-only votes").isGreaterThan(runs / 4);
        assertThat(total.waits).as("older prepares told to wait").isGreaterThan(runs / 4);
        assertThat(total.waitsForAnyone).as("own transactions waiting for an older holder").isGreaterThan(runs / 20);
        assertThat(total.waitsForDecided).as("prepares waiting for an older holder already committing or rolling back")
                .isGreaterThan(runs / 20);
        assertThat(total.refusedAfterRollback).as("prepares refused because their rollback overtook them").isGreaterThan(runs / 20);
        assertThat(total.crashes).as("crashes").isGreaterThan(runs);
        assertThat(total.lostLocal).as("own transactions lost in a crash before their commit was durable").isGreaterThan(runs / 20);
        assertThat(total.restoredBranches).as("branches restored after a crash").isGreaterThan(runs / 4);
        assertThat(total.duplicateYes).as("duplicate prepares answered from the durable record").isGreaterThan(runs / 10);
        assertThat(total.inProgress).as("calls that found a branch in progress").isGreaterThan(runs / 10);
        assertThat(total.syncFailures).as("failed syncs").isGreaterThan(runs / 4);
    }

    /** What the runs exercised. */
    static final class Stats {
        int committed2pc, committedLocal, rolledBack, rolledBackLocal, votedNo, readOnly, waits, waitsForAnyone, waitsForDecided,
                refusedAfterRollback, crashes, lostLocal, restoredBranches, duplicateYes, inProgress, syncFailures;

        void add(Stats s) {
            committed2pc += s.committed2pc;
            committedLocal += s.committedLocal;
            rolledBack += s.rolledBack;
            rolledBackLocal += s.rolledBackLocal;
            votedNo += s.votedNo;
            readOnly += s.readOnly;
            waits += s.waits;
            waitsForAnyone += s.waitsForAnyone;
            waitsForDecided += s.waitsForDecided;
            refusedAfterRollback += s.refusedAfterRollback;
            crashes += s.crashes;
            lostLocal += s.lostLocal;
            restoredBranches += s.restoredBranches;
            duplicateYes += s.duplicateYes;
            inProgress += s.inProgress;
            syncFailures += s.syncFailures;
        }

        @Override
        public String toString() {
            return committed2pc + " 2PC commits, " + committedLocal + " own commits, " + rolledBack + " rollbacks after YES, "
                    + rolledBackLocal + " own rollbacks, " + votedNo + " NO votes, " + readOnly + " read-only, " + waits + " waits ("
                    + waitsForAnyone + " for anyone, " + waitsForDecided + " for a decided older holder), " + refusedAfterRollback + " prepares refused after their rollback, " + crashes
                    + " crashes, " + lostLocal + " own transactions lost, " + restoredBranches + " restored branches, " + duplicateYes
                    + " duplicate YES, " + inProgress + " in-progress answers, " + syncFailures + " failed syncs";
        }
    }
}
