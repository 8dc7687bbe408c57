package io.quarkiverse.level2pc.node;

import java.util.List;

/**
 * Who takes part in a write: the {@code peers} to prepare; in quorum mode also the names of all
 * participants (this node included) and how many nodes are left out. In full-replication mode
 * {@code participants} is empty and every peer takes part.
 */
public record WriteSet(List<String> peers, List<String> participants, int excluded) {
    public WriteSet {
        peers = List.copyOf(peers);
        participants = List.copyOf(participants);
    }

    public static WriteSet everyPeer(List<String> peers) {
        return new WriteSet(peers, List.of(), 0);
    }

    public boolean isQuorum() {
        return !participants.isEmpty();
    }
}
