package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Exclusive write locks, shared read locks, all-or-nothing; the table never waits (wait-die is the participant's). */
class LockTableTest {

    private static final BranchId A = branch("a");
    private static final BranchId B = branch("b");
    private static final BranchId C = branch("c");

    private final LockTable locks = new LockTable();

    private static Set<Bytes> keys(String... names) {
        Set<Bytes> s = new HashSet<>();
        for (String n : names) {
            s.add(key(n));
        }
        return s;
    }

    @Test
    void tryLockTakesEveryWriteAndReadLockOfTheOwner() {
        assertThat(locks.tryLock(A, keys("w1", "w2"), keys("r1"))).isNull();

        assertThat(locks.holdsLocks(A)).isTrue();
        assertThat(locks.writeLockHolder(key("w1"))).isEqualTo(A);
        assertThat(locks.writeLockHolder(key("w2"))).isEqualTo(A);
        assertThat(locks.writeLockHolder(key("r1"))).isNull();
        assertThat(locks.writeLockCount()).isEqualTo(2);
        assertThat(locks.readLockCount()).isEqualTo(1);
    }

    @Test
    void aWriteLockExcludesAnotherWriter() {
        locks.tryLock(A, keys("k"), keys());

        assertThat(locks.tryLock(B, keys("k"), keys())).isEqualTo(new Conflict(Conflict.Kind.LOCKED, key("k"), A));
    }

    @Test
    void aWriteLockExcludesAReader() {
        locks.tryLock(A, keys("k"), keys());

        assertThat(locks.tryLock(B, keys(), keys("k"))).isEqualTo(new Conflict(Conflict.Kind.LOCKED, key("k"), A));
    }

    @Test
    void aReadLockExcludesAWriter() {
        locks.tryLock(A, keys(), keys("k"));

        assertThat(locks.tryLock(B, keys("k"), keys())).isEqualTo(new Conflict(Conflict.Kind.LOCKED, key("k"), A));
    }

    @Test
    void readLocksAreShared() {
        assertThat(locks.tryLock(A, keys(), keys("k"))).isNull();
        assertThat(locks.tryLock(B, keys(), keys("k"))).isNull();

        assertThat(locks.readLockCount()).isEqualTo(1);
        assertThat(locks.holdsLocks(A)).isTrue();
        assertThat(locks.holdsLocks(B)).isTrue();
    }

    @Test
    void aConflictingTryLockTakesNothingAtAll() {
        locks.tryLock(A, keys("k"), keys());

        assertThat(locks.tryLock(B, keys("free1", "k", "free2"), keys("free3"))).isNotNull();

        assertThat(locks.holdsLocks(B)).isFalse();
        assertThat(locks.writeLockHolder(key("free1"))).isNull();
        assertThat(locks.writeLockHolder(key("free2"))).isNull();
        assertThat(locks.writeLockCount()).isEqualTo(1);
        assertThat(locks.readLockCount()).isZero();
        assertThat(locks.tryLock(C, keys("free1", "free2", "free3"), keys())).as("nothing of B's attempt lingers").isNull();
    }

    @Test
    void aKeyBothReadAndWrittenByOneOwnerIsLockedExclusivelyOnly() {
        locks.tryLock(A, keys("k"), keys("k"));

        assertThat(locks.writeLockHolder(key("k"))).isEqualTo(A);
        assertThat(locks.readLockCount()).isZero();
        assertThat(locks.tryLock(B, keys(), keys("k"))).isNotNull();
    }

    @Test
    void releaseFreesEveryLockOfTheOwnerOnly() {
        locks.tryLock(A, keys("a1"), keys("shared"));
        locks.tryLock(B, keys("b1"), keys("shared"));

        locks.release(A);

        assertThat(locks.holdsLocks(A)).isFalse();
        assertThat(locks.writeLockHolder(key("a1"))).isNull();
        assertThat(locks.writeLockHolder(key("b1"))).isEqualTo(B);
        assertThat(locks.tryLock(C, keys("shared"), keys())).as("B still reads 'shared'").isEqualTo(new Conflict(Conflict.Kind.LOCKED, key("shared"), B));

        locks.release(B);

        assertThat(locks.tryLock(C, keys("shared"), keys())).isNull();
    }

    @Test
    void releaseOfAnOwnerWithoutLocksIsANoOp() {
        locks.tryLock(A, keys("k"), keys());

        locks.release(B);
        locks.release(A);
        locks.release(A);

        assertThat(locks.writeLockCount()).isZero();
        assertThat(locks.readLockCount()).isZero();
    }

    @Test
    void anOwnerThatAlreadyHoldsLocksCannotLockAgain() {
        locks.tryLock(A, keys("k"), keys());

        assertThatThrownBy(() -> locks.tryLock(A, keys("other"), keys()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(A.toString());
        assertThat(locks.writeLockHolder(key("other"))).isNull();
    }

    @Test
    void isLockedSeesBothExclusiveAndSharedLocks() {
        locks.tryLock(A, keys("w"), keys("r"));

        assertThat(locks.isLocked(key("w"))).isTrue();
        assertThat(locks.isLocked(key("r"))).isTrue();
        assertThat(locks.isLocked(key("free"))).isFalse();
        locks.release(A);
        assertThat(locks.isLocked(key("w"))).isFalse();
        assertThat(locks.isLocked(key("r"))).isFalse();
    }

    @Test
    void writeLockHoldersInARangeAreTheOwnersOfExclusiveLocksFromInclusiveToExclusive() {
        locks.tryLock(A, keys("a", "c"), keys("b"));
        locks.tryLock(B, keys("d"), keys());
        locks.tryLock(C, keys("f"), keys("e"));

        assertThat(locks.writeLockHoldersIn(key("a"), key("d"))).containsExactly(A);
        assertThat(locks.writeLockHoldersIn(key("a"), key("d\0"))).containsExactlyInAnyOrder(A, B);
        assertThat(locks.writeLockHoldersIn(key("b"), key("c"))).as("a shared lock on b does not count, c is excluded").isEmpty();
        assertThat(locks.writeLockHoldersIn(key("d"), null)).as("unbounded").containsExactlyInAnyOrder(B, C);
        assertThat(locks.writeLockHoldersIn(key("g"), null)).isEmpty();
    }

    @Test
    void anOwnerWithoutKeysHoldsAnEmptyLockSet() {
        assertThat(locks.tryLock(A, keys(), keys())).isNull();
        assertThat(locks.holdsLocks(A)).isTrue();
        locks.release(A);
        assertThat(locks.holdsLocks(A)).isFalse();
    }

    /**
     * Against a naive model: a tryLock succeeds exactly when no other owner writes one of its keys
     * or reads one of its written keys, and the counts always match the model.
     */
    @Test
    void tryLockSucceedsExactlyWhenNoOtherOwnerHoldsAConflictingLockRandomized() {
        long seed = Long.getLong("level2pc.locktable.seed", 7L);
        Random rnd = new Random(seed);
        List<Bytes> universe = List.of(key("k0"), key("k1"), key("k2"), key("k3"), key("k4"), key("k5"));
        for (int round = 0; round < 200; round++) {
            LockTable table = new LockTable();
            Map<BranchId, Set<Bytes>> writes = new HashMap<>();
            Map<BranchId, Set<Bytes>> reads = new HashMap<>();
            List<BranchId> owners = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                owners.add(branch("o" + i));
            }
            for (int op = 0; op < 60; op++) {
                BranchId o = owners.get(rnd.nextInt(owners.size()));
                String ctx = "seed " + seed + ", round " + round + ", op " + op + ", owner " + o;
                if (writes.containsKey(o)) {
                    table.release(o);
                    writes.remove(o);
                    reads.remove(o);
                } else {
                    Set<Bytes> w = new HashSet<>();
                    Set<Bytes> r = new HashSet<>();
                    for (Bytes k : universe) {
                        int roll = rnd.nextInt(6);
                        if (roll == 0) {
                            w.add(k);
                        } else if (roll == 1) {
                            r.add(k);
                        } else if (roll == 2) {
                            w.add(k);
                            r.add(k);
                        }
                    }
                    boolean conflicts = false;
                    for (BranchId other : writes.keySet()) {
                        for (Bytes k : w) {
                            conflicts |= writes.get(other).contains(k) || reads.get(other).contains(k);
                        }
                        for (Bytes k : r) {
                            conflicts |= writes.get(other).contains(k);
                        }
                    }
                    Conflict c = table.tryLock(o, w, r);
                    assertThat(c == null).as(ctx).isEqualTo(!conflicts);
                    if (c == null) {
                        writes.put(o, w);
                        Set<Bytes> onlyRead = new HashSet<>(r);
                        onlyRead.removeAll(w);
                        reads.put(o, onlyRead);
                    } else {
                        assertThat(c.kind()).as(ctx).isEqualTo(Conflict.Kind.LOCKED);
                        assertThat(c.holder()).as(ctx).isNotEqualTo(o).isIn(writes.keySet());
                        assertThat(table.holdsLocks(o)).as(ctx).isFalse();
                    }
                }
                Set<Bytes> readKeys = new HashSet<>();
                int writeCount = 0;
                for (BranchId owner : writes.keySet()) {
                    writeCount += writes.get(owner).size();
                    readKeys.addAll(reads.get(owner));
                    for (Bytes k : writes.get(owner)) {
                        assertThat(table.writeLockHolder(k)).as(ctx).isEqualTo(owner);
                    }
                }
                assertThat(table.writeLockCount()).as(ctx).isEqualTo(writeCount);
                assertThat(table.readLockCount()).as(ctx).isEqualTo(readKeys.size());
                for (BranchId owner : owners) {
                    assertThat(table.holdsLocks(owner)).as(ctx).isEqualTo(writes.containsKey(owner));
                }
            }
        }
    }
}
