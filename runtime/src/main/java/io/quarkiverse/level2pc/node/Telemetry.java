package io.quarkiverse.level2pc.node;

/**
 * What a node reports as it works, for metrics (and traces): each transaction it coordinates, each call it makes to
 * a peer. Implementations must be quick and must not throw; they are called on the threads that complete the work
 * (event loops, the store writer). Free of any metrics library: the application glue adapts it.
 */
public interface Telemetry {

    /** Reports nothing. */
    Telemetry NONE = new Telemetry() {
    };

    /**
     * One transaction coordinated here ended (one attempt of a retried standalone write).
     *
     * @param failure {@code null} if it committed, else why not (a {@code ConflictException}, ...)
     * @param nanos from the start of its commit (locking its keys here) to its outcome
     * @param peers how many peers took part
     */
    default void transactionEnded(Throwable failure, long nanos, int peers) {
    }

    /**
     * One call to a peer answered or failed.
     *
     * @param operation the protocol operation ({@code prepare}, {@code commit}, {@code hello}, ...)
     * @param failure {@code null} if the peer answered as the protocol expects, else the failure
     */
    default void peerCall(String peer, String operation, long nanos, Throwable failure) {
    }
}
