package io.quarkiverse.level2pc.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Quorum mode: a transaction committed without some nodes ({@code excluded} of them), kept by each of
 * its {@code participants} until that many other nodes caught up ({@code caughtUp}); {@code keys} are
 * the keys it wrote, whose current state a node catching up takes.
 */
public record Hint(Bytes gtrid, List<String> participants, int excluded, List<Bytes> keys, List<String> caughtUp) {

    public Hint {
        participants = List.copyOf(participants);
        keys = List.copyOf(keys);
        caughtUp = List.copyOf(caughtUp);
    }

    /** Whether node {@code name} missed this commit and has not caught up with it yet. */
    public boolean missedBy(String name) {
        return !participants.contains(name) && !caughtUp.contains(name);
    }

    /** The hint once node {@code name} caught up with it; {@code null} when no node is left to catch up. */
    public Hint caughtUpBy(String name) {
        if (!missedBy(name)) {
            return this;
        }
        List<String> done = new ArrayList<>(caughtUp);
        done.add(name);
        return done.size() >= excluded ? null : new Hint(gtrid, participants, excluded, keys, done);
    }
}
