package io.quarkiverse.level2pc.sim;

import static io.quarkiverse.level2pc.sim.RegisterLinearizability.Operation.read;
import static io.quarkiverse.level2pc.sim.RegisterLinearizability.Operation.write;
import static io.quarkiverse.level2pc.sim.RegisterLinearizability.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.sim.RegisterLinearizability.Operation;
import io.quarkiverse.level2pc.sim.RegisterLinearizability.Result;

/** The checker used by {@link ClusterLinearizabilityIT}, on histories whose verdict is known. */
class RegisterLinearizabilityTest {

    @Test
    void sequentialHistoryIsLinearizable() {
        assertLinearizable(List.of(read(null, 0, 1), write("1", 2, 3), read("1", 4, 5), write("2", 6, 7), read("2", 8, 9)));
    }

    @Test
    void staleReadAfterANewerWriteReturnedIsNot() {
        Result r = RegisterLinearizability.check(null, List.of(write("1", 0, 10), write("2", 20, 30), read("1", 40, 50)));
        assertThat(r.linearizable()).isFalse();
        assertThat(r.explanation()).contains("read=1");
    }

    @Test
    void readConcurrentWithAWriteMaySeeEitherValue() {
        assertLinearizable(List.of(write("1", 0, 10), write("2", 20, 30), read("1", 25, 35)));
        assertLinearizable(List.of(write("1", 0, 10), write("2", 20, 30), read("2", 25, 35)));
    }

    @Test
    void readingTheNewValueThenTheOldOneIsNot() {
        // The write of 2 is still in flight, but a reader saw 2 before another saw 1 again.
        assertNotLinearizable(List.of(write("1", 0, 10), write("2", 20, 100), read("2", 30, 40), read("1", 50, 60)));
        // ... while seeing the old value first and the new one later is fine.
        assertLinearizable(List.of(write("1", 0, 10), write("2", 20, 100), read("1", 30, 40), read("2", 50, 60)));
    }

    @Test
    void aValueNobodyWroteIsNot() {
        assertNotLinearizable(List.of(write("1", 0, 10), read("7", 20, 30)));
        assertNotLinearizable(List.of(read("1", 0, 5), write("1", 10, 20)));
    }

    @Test
    void deletedKeyReadsAbsent() {
        assertLinearizable(List.of(write("1", 0, 10), write(null, 20, 30), read(null, 40, 50)));
        assertNotLinearizable(List.of(write("1", 0, 10), write(null, 20, 30), read("1", 40, 50)));
    }

    @Test
    void writeWithUnknownOutcomeMayTakeEffectLateOrNever() {
        // never
        assertLinearizable(List.of(write("1", 0, 10), write("2", 20, UNKNOWN), read("1", 30, 40), read("1", 500, 600)));
        // much later than its invocation
        assertLinearizable(List.of(write("1", 0, 10), write("2", 20, UNKNOWN), read("1", 30, 40), read("2", 500, 600)));
        // but once seen it stays
        assertNotLinearizable(List.of(write("1", 0, 10), write("2", 20, UNKNOWN), read("2", 30, 40), read("1", 500, 600)));
        // and not before it was invoked
        assertNotLinearizable(List.of(write("1", 0, 10), read("2", 12, 15), write("2", 20, UNKNOWN)));
    }

    @Test
    void lostUpdateIsCaught() {
        // 3 overwrote 2 although 2's write began after 3's returned.
        assertNotLinearizable(List.of(write("3", 0, 10), write("2", 20, 30), read("3", 40, 50)));
    }

    /** Histories produced by an atomic register (each op takes effect at one instant inside its interval). */
    @Test
    void randomHistoriesOfAnAtomicRegisterAreLinearizable() {
        long seed = System.nanoTime();
        System.out.println("RegisterLinearizabilityTest seed=" + seed);
        Random rnd = new Random(seed);
        int corrupted = 0;
        for (int round = 0; round < 20; round++) {
            List<Operation> history = atomicHistory(rnd, 8, 200);
            Result r = RegisterLinearizability.check(null, history);
            assertThat(r.linearizable()).as("round %d (seed %d): %s", round, seed, r.explanation()).isTrue();
            // Corrupt one read to a value that was overwritten before the read began: caught.
            List<Operation> broken = staleRead(history);
            if (broken != null) {
                corrupted++;
                assertThat(RegisterLinearizability.check(null, broken).linearizable()).as("stale read in round %d (seed %d)", round,
                        seed).isFalse();
            }
        }
        assertThat(corrupted).as("histories with a stale read to check (seed %d)", seed).isGreaterThan(10);
    }

    @Test
    void searchIsBounded() {
        List<Operation> h = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            h.add(write("w" + i, 0, UNKNOWN));
        }
        h.add(read("nothing-wrote-this", 1, 2));
        assertThatThrownBy(() -> RegisterLinearizability.check(null, h, 10_000)).hasMessageContaining("exceeded");
    }

    private static List<Operation> atomicHistory(Random rnd, int clients, int perClient) {
        // Each client runs ops back to back; an op's effect happens at a random instant of its interval.
        record Pending(int client, long call, long at, long ret, boolean write) {
        }
        List<Pending> pending = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long t = rnd.nextInt(50);
            for (int i = 0; i < perClient / clients; i++) {
                long call = t + rnd.nextInt(5);
                long ret = call + 1 + rnd.nextInt(60);
                long at = call + rnd.nextLong(ret - call + 1);
                pending.add(new Pending(c, call, at * 1000 + pending.size(), ret, rnd.nextInt(3) == 0));
                t = ret;
            }
        }
        pending.sort(java.util.Comparator.comparingLong(Pending::at));
        List<Operation> history = new ArrayList<>();
        String value = null;
        int n = 0;
        for (Pending p : pending) {
            if (p.write()) {
                value = rnd.nextInt(10) == 0 ? null : "v" + n++;
                history.add(write(value, p.call(), p.ret()));
            } else {
                history.add(read(value, p.call(), p.ret()));
            }
        }
        return history;
    }

    /** The history with one read changed to the value of a write that was overwritten before the read began. */
    private static List<Operation> staleRead(List<Operation> history) {
        for (int i = 0; i < history.size(); i++) {
            Operation r = history.get(i);
            if (r.write()) {
                continue;
            }
            for (Operation w1 : history) {
                if (!w1.write() || w1.value() == null || w1.value().equals(r.value())) {
                    continue;
                }
                for (Operation w2 : history) {
                    if (w2.write() && w2 != w1 && w1.ret() < w2.call() && w2.ret() < r.call()
                            && !java.util.Objects.equals(w2.value(), w1.value())) {
                        // w1 before w2 before r: r cannot see w1 unless a later write rewrote w1's value (values are unique)
                        List<Operation> copy = new ArrayList<>(history);
                        copy.set(i, read(w1.value(), r.call(), r.ret()));
                        return copy;
                    }
                }
            }
        }
        return null;
    }

    private static void assertLinearizable(List<Operation> h) {
        Result r = RegisterLinearizability.check(null, h);
        assertThat(r.linearizable()).as("%s: %s", h, r.explanation()).isTrue();
    }

    private static void assertNotLinearizable(List<Operation> h) {
        assertThat(RegisterLinearizability.check(null, h).linearizable()).as("%s", h).isFalse();
    }
}
