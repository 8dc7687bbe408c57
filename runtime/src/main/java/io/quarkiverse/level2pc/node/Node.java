package io.quarkiverse.level2pc.node;

import java.io.Closeable;

/**
 * One node's drivers, assembled: the participant ({@code local}), its reads, the operators' decisions taken
 * by hand, quorum mode's catch-up, the coordinator
 * of its own transactions, the in-doubt resolver, its readiness, and when it has peers the monitor and (in
 * quorum mode) the lease. What the transport's endpoint and the application glue work with.
 *
 * @param monitor {@code null} for a single node
 * @param quorum {@code null} unless in quorum mode
 */
public record Node(LocalNode local, Reads reads, Heuristics heuristics, CatchUps catchUps, TxCoordinator coordinator,
        InDoubtResolver resolver, PeerMonitor monitor, QuorumMode quorum, Readiness readiness) implements Closeable {

    public String name() {
        return local.nodeName();
    }

    public boolean isOpen() {
        return local.isOpen();
    }

    /** Stops the periodic work, then closes the store (writes already submitted finish first). */
    @Override
    public void close() {
        resolver.close();
        if (monitor != null) {
            monitor.close();
        }
        local.close();
    }
}
