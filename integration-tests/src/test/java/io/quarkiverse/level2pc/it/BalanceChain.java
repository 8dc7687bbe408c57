package io.quarkiverse.level2pc.it;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that one account's acknowledged balance changes fit a serial history: each step
 * {@code (before, after)} must start from the balance the previous step left, beginning at the
 * initial balance and ending at the final one, every step used once (an Euler path). Two transfers
 * that both started from the same balance (a lost update) do not fit.
 */
final class BalanceChain {

    private BalanceChain() {
    }

    /** Whether the edges (before, after) form one path from {@code start} to {@code end} using each once (Euler). */
    static boolean formsOnePath(long start, long end, List<long[]> edges) {
        if (edges.isEmpty()) {
            return start == end;
        }
        Map<Long, List<Long>> out = new HashMap<>();
        Map<Long, Integer> balance = new HashMap<>();
        for (long[] e : edges) {
            out.computeIfAbsent(e[0], x -> new ArrayList<>()).add(e[1]);
            balance.merge(e[0], 1, Integer::sum);
            balance.merge(e[1], -1, Integer::sum);
        }
        for (Map.Entry<Long, Integer> b : balance.entrySet()) {
            long v = b.getKey();
            int expected = start == end ? 0 : v == start ? 1 : v == end ? -1 : 0;
            if (b.getValue() != expected) {
                return false;
            }
        }
        if (!out.containsKey(start)) {
            return false;
        }
        // Hierholzer: walk from start; every edge must be reachable.
        Map<Long, ArrayDeque<Long>> remaining = new HashMap<>();
        out.forEach((k, v) -> remaining.put(k, new ArrayDeque<>(v)));
        ArrayDeque<Long> stack = new ArrayDeque<>();
        stack.push(start);
        int used = 0;
        while (!stack.isEmpty()) {
            ArrayDeque<Long> next = remaining.get(stack.peek());
            if (next != null && !next.isEmpty()) {
                stack.push(next.poll());
                used++;
            } else {
                stack.pop();
            }
        }
        return used == edges.size();
    }

}
