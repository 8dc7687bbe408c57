package io.quarkiverse.level2pc.jta;

import java.time.Duration;
import java.util.List;

import io.quarkiverse.level2pc.node.Node;

/**
 * What the JTA glue needs of the node: its drivers once open, the peers, and how long a commit may try.
 * Implemented by the node's lifecycle bean; a resource that Narayana's recovery restored from its log finds
 * it through CDI.
 */
public interface Cluster {

    /**
     * The open node, waiting for startup up to {@code ready-timeout}.
     *
     * @throws io.quarkiverse.level2pc.NotReadyException if it does not open in time or is shut down
     */
    Node awaitOpen();

    /** Every peer's address (empty: a single node). */
    List<String> peers();

    /**
     * Waits until the node may coordinate a write (enough peers connected), bounded by the readiness bound.
     *
     * @throws io.quarkiverse.level2pc.NotReadyException when it may not
     */
    void awaitWritable();

    /** How long a commit keeps trying what a retry can fix (conflicts of blind writes, quorum-mode waits): {@code lock-wait-timeout}. */
    Duration retryBound();
}
