package io.quarkiverse.level2pc.node;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * How the node's drivers reach a peer (by its base address, e.g. {@code http://10.0.0.2:8080}): every call
 * is asynchronous. Implemented by the transport layer's peer client. A failed call completes exceptionally
 * with the extension's exceptions: {@code ConflictException} for a NO vote,
 * {@code PeerUnavailableException} when the peer cannot be reached or the outcome of the call is unknown,
 * {@code NotReadyException} when the peer cannot take part now, {@link HeuristicOutcome} when an operator
 * decided the branch otherwise.
 */
public interface PeerLink {

    /**
     * What a peer says about itself in a heartbeat. {@code minConsensus} and {@code readLeaseMillis} are its
     * settings that every node must share ({@code -1}: the peer does not say; {@code readLeaseMillis} is only
     * said in quorum mode). {@code behind} (quorum mode, in the answer to a lease-asking hello): the peer holds a
     * transaction written without this node, or a hint for one, that this node has not caught up with: this node
     * must stop reading and catch up (false when the peer does not say).
     */
    record Hello(String node, String cluster, int protocol, long clock, boolean current, int minConsensus, long readLeaseMillis,
            boolean behind) {

        public Hello(String node, String cluster, int protocol, long clock, boolean current, int minConsensus,
                long readLeaseMillis) {
            this(node, cluster, protocol, clock, current, minConsensus, readLeaseMillis, false);
        }

        public Hello(String node, String cluster, int protocol, long clock, boolean current) {
            this(node, cluster, protocol, clock, current, -1, -1);
        }
    }

    CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work);

    CompletableFuture<Completion> commit(String peer, BranchId id);

    CompletableFuture<Completion> rollback(String peer, BranchId id);

    /** {@link #prepare(String, BranchId, TxWork)} as part of the traced transaction {@code span}; by default untraced. */
    default CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work, Tracing.Span span) {
        return prepare(peer, id, work);
    }

    /** {@link #commit(String, BranchId)} as part of the traced transaction {@code span}; by default untraced. */
    default CompletableFuture<Completion> commit(String peer, BranchId id, Tracing.Span span) {
        return commit(peer, id);
    }

    /** {@link #rollback(String, BranchId)} as part of the traced transaction {@code span}; by default untraced. */
    default CompletableFuture<Completion> rollback(String peer, BranchId id, Tracing.Span span) {
        return rollback(peer, id);
    }

    /** Asks the coordinator {@code peer} what became of the transaction of {@code id} (the callback site). */
    CompletableFuture<Outcome> outcome(String peer, BranchId id);

    /** Quorum mode: what participant {@code peer} knows of transaction {@code gtrid} (a branch this node adopted). */
    CompletableFuture<Outcome> branchState(String peer, Bytes gtrid);

    /** A heartbeat; with {@code askLease} (quorum mode) the answer is also the peer's promise (see {@code QuorumLease}). */
    CompletableFuture<Hello> hello(String peer, boolean askLease);

    /** The node name {@code peer} answered its last hello with; {@code null} if none is known. */
    default String nameOf(String peer) {
        return null;
    }

    /** Quorum mode: what this node missed and must take from {@code peer} before it reads again. */
    CompletableFuture<CatchUp> catchUp(String peer);

    /** Quorum mode: tells {@code peer} this node applied the hints {@code gtrids} it sent. */
    CompletableFuture<Void> caughtUp(String peer, List<Bytes> gtrids);

    /** The peer's branch was decided by an operator, against the decision the coordinator sent. */
    final class HeuristicOutcome extends Level2pcException {
        private static final long serialVersionUID = 1L;
        private final boolean committed;

        public HeuristicOutcome(boolean committed, String message) {
            super(message);
            this.committed = committed;
        }

        /** Whether the operator committed the branch (else rolled it back). */
        public boolean committed() {
            return committed;
        }
    }
}
