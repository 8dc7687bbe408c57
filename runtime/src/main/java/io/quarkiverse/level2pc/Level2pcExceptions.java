package io.quarkiverse.level2pc;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/** Finds the extension's exceptions behind the ones a transaction manager wraps them in. */
public final class Level2pcExceptions {

    private Level2pcExceptions() {
    }

    /** The first {@code type} found in {@code t}, its causes or suppressed exceptions; else {@code null}. */
    public static <E extends Throwable> E find(Throwable t, Class<E> type) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>();
        if (t != null) {
            todo.add(t);
        }
        while (!todo.isEmpty()) {
            Throwable x = todo.poll();
            if (!seen.add(x)) {
                continue;
            }
            if (type.isInstance(x)) {
                return type.cast(x);
            }
            if (x.getCause() != null) {
                todo.add(x.getCause());
            }
            Collections.addAll(todo, x.getSuppressed());
        }
        return null;
    }
}
