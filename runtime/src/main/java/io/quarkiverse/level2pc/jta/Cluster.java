package io.quarkiverse.level2pc.jta;

import java.net.URI;
import java.util.List;

import io.quarkiverse.level2pc.transport.PeerClient;

/** What the JTA glue needs to know of the cluster: the peers, how to reach them, whether writes may start. */
public interface Cluster {

    /** The peers every write is committed on (empty: a single node). */
    List<URI> peers();

    PeerClient client();

    /** Runs the peer calls of a transaction's phases in parallel. */
    java.util.concurrent.ExecutorService peerExecutor();

    /**
     * Waits until enough peers are connected for a write, bounded by {@code ready-timeout}, and returns who
     * takes part in it.
     *
     * @throws io.quarkiverse.level2pc.NotReadyException when they are not
     */
    WriteSet awaitWritable();

    /**
     * The nodes a write is committed on: {@code peers} to enlist; in quorum mode also the names of all
     * participants (this node included), how many nodes are left out, and where commit stamps come from.
     * In full-replication mode {@code participants} is empty and every peer is enlisted.
     */
    record WriteSet(List<URI> peers, List<String> participants, int excluded, java.util.function.LongSupplier stamps) {
        public static WriteSet everyPeer(List<URI> peers) {
            return new WriteSet(peers, List.of(), 0, () -> 0);
        }
    }

    /**
     * Whether a coordinator answers once its decision is durable and its own branch committed, with the
     * peers' commits finishing in the background ({@code commit-peers-in-background}).
     */
    boolean commitPeersInBackground();

    /** A transaction's call could not reach {@code peer}. */
    void reportUnreachable(URI peer, String why);
}
