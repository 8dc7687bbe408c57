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
     * Waits until enough peers are connected for a write, bounded by {@code ready-timeout}.
     *
     * @throws io.quarkiverse.level2pc.NotReadyException when they are not
     */
    void awaitWritable();

    /**
     * Whether a coordinator answers once its decision is durable and its own branch committed, with the
     * peers' commits finishing in the background ({@code commit-peers-in-background}).
     */
    boolean commitPeersInBackground();

    /** A transaction's call could not reach {@code peer}. */
    void reportUnreachable(URI peer, String why);
}
