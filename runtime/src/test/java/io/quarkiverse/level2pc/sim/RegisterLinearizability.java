package io.quarkiverse.level2pc.sim;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a recorded history of one read/write register is linearizable (Wing &amp; Gong's search,
 * with Lowe's memoization as in Porcupine): it looks for a total order of the operations that respects
 * real time (an operation that returned before another was invoked comes first) and in which every
 * read returns the value of the latest write before it. States already explored, (set of linearized
 * operations, register value), are not explored again.
 * <p>
 * A write whose outcome is unknown (timeout, error that does not exclude it took effect) has return
 * time {@link #UNKNOWN}: it may take effect at any point after its invocation, or never. Reads that
 * failed carry no information and are simply left out by the caller. {@code null} is "absent".
 */
public final class RegisterLinearizability {

    public static final long UNKNOWN = Long.MAX_VALUE;

    /** One operation; {@code value} is what a write wrote or a read returned ({@code null}: absent). */
    public record Operation(boolean write, String value, long call, long ret, String label) {
        public Operation {
            if (ret < call) {
                throw new IllegalArgumentException("operation " + label + " returns before it is invoked");
            }
            if (!write && ret == UNKNOWN) {
                throw new IllegalArgumentException("a read without answer carries no information: leave it out (" + label + ")");
            }
        }

        public static Operation write(String value, long call, long ret) {
            return new Operation(true, value, call, ret, "write(" + value + ")");
        }

        public static Operation read(String value, long call, long ret) {
            return new Operation(false, value, call, ret, "read=" + value);
        }

        @Override
        public String toString() {
            return label + " [" + call + ", " + (ret == UNKNOWN ? "?" : ret) + "]";
        }
    }

    /** The verdict; {@code explanation} describes where the search got stuck when not linearizable. */
    public record Result(boolean linearizable, long statesExplored, String explanation) {
    }

    private final List<Operation> ops;
    private final int required;
    private final Set<State> seen = new HashSet<>();
    private final long budget;
    private int deepest = -1;
    private BitSet deepestDone;
    private String deepestValue;

    private record State(BitSet done, String value) {
    }

    private RegisterLinearizability(List<Operation> history, long budget) {
        this.ops = new ArrayList<>(history);
        this.ops.sort(Comparator.comparingLong(Operation::call));
        this.required = (int) ops.stream().filter(o -> o.ret() != UNKNOWN).count();
        this.budget = budget;
    }

    public static Result check(String initial, List<Operation> history) {
        return check(initial, history, 5_000_000);
    }

    /** @param budget the most states to explore before giving up with an exception */
    public static Result check(String initial, List<Operation> history, long budget) {
        RegisterLinearizability c = new RegisterLinearizability(history, budget);
        boolean ok = c.search(new BitSet(c.ops.size()), 0, initial);
        return new Result(ok, c.seen.size(), ok ? "linearizable" : c.explain());
    }

    /** Depth-first search; {@code doneRequired} counts linearized operations with a known outcome. */
    private boolean search(BitSet done, int doneRequired, String value) {
        if (doneRequired == required) {
            return true; // unknown writes left over simply never took effect (or took effect after everything)
        }
        if (!seen.add(new State(done, value))) {
            return false;
        }
        if (seen.size() > budget) {
            throw new IllegalStateException("linearizability search exceeded " + budget + " states; make the history smaller");
        }
        if (done.cardinality() > deepest) {
            deepest = done.cardinality();
            deepestDone = done;
            deepestValue = value;
        }
        // Only an operation invoked before every pending operation's return may come next.
        long minRet = UNKNOWN;
        for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
            minRet = Math.min(minRet, ops.get(i).ret());
        }
        for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
            Operation o = ops.get(i);
            if (o.call() > minRet) {
                break; // sorted by invocation: no later one can come next either
            }
            if (!o.write() && !Objects.equals(o.value(), value)) {
                continue;
            }
            BitSet next = (BitSet) done.clone();
            next.set(i);
            if (search(next, doneRequired + (o.ret() == UNKNOWN ? 0 : 1), o.write() ? o.value() : value)) {
                return true;
            }
        }
        return false;
    }

    private String explain() {
        List<String> pending = new ArrayList<>();
        if (deepestDone != null) {
            for (int i = deepestDone.nextClearBit(0); i < ops.size() && pending.size() < 12; i = deepestDone.nextClearBit(i + 1)) {
                pending.add(ops.get(i).toString());
            }
        }
        return "no linearization: the longest linearizable prefix has " + Math.max(deepest, 0) + " of " + ops.size()
                + " operations and leaves the register at " + (deepestValue == null ? "absent" : "'" + deepestValue + "'")
                + "; next operations (by invocation): " + pending;
    }
}
