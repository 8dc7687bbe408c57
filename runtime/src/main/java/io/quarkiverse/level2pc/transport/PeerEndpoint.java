package io.quarkiverse.level2pc.transport;

import java.util.List;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.StoreCorruptedException;

/**
 * The participant side of the peer protocol, independent of how requests arrive (REST route,
 * in-memory transport): decodes a request, runs it against the local node and encodes the answer.
 * Malformed input is a 400 naming the problem and changes nothing; every operation is idempotent.
 */
public final class PeerEndpoint {

    private static final Logger LOG = Logger.getLogger(PeerEndpoint.class);

    private final Supplier<LocalNode> node;
    private final String nodeName;
    private final String clusterName;
    private final java.util.function.Function<BranchId, String> outcomes;

    /**
     * @param outcomes what this node, as a coordinator, knows of a transaction's outcome (the callback
     *        site): {@code COMMITTED}, {@code ROLLED_BACK}, {@code IN_PROGRESS} or {@code NOT_COORDINATOR}
     */
    public PeerEndpoint(Supplier<LocalNode> node, String nodeName, String clusterName,
            java.util.function.Function<BranchId, String> outcomes) {
        this.node = node;
        this.nodeName = nodeName;
        this.clusterName = clusterName;
        this.outcomes = outcomes;
    }

    public PeerResponse handle(PeerRequest request) {
        try {
            return switch (request.operation()) {
                case PeerProtocol.HELLO -> hello(request);
                case PeerProtocol.CATCH_UP -> PeerResponse.ok(Codec.encodeCatchUp(local().catchUpFor(request.sender())));
                case PeerProtocol.CAUGHT_UP -> caughtUp(request);
                case PeerProtocol.BRANCH_STATE -> branchState(request);
                case PeerProtocol.PREPARE -> prepare(request);
                case PeerProtocol.COMMIT -> commit(request);
                case PeerProtocol.ROLLBACK -> rollback(request);
                case PeerProtocol.RECOVER -> recover(request);
                case PeerProtocol.OUTCOME -> outcome(request);
                default -> PeerResponse.error(404, "unknown operation",
                        "'" + request.operation() + "' is not an operation of peer protocol " + PeerProtocol.VERSION);
            };
        } catch (MalformedRequest | IllegalArgumentException e) {
            return PeerResponse.error(400, "malformed request", e.getMessage());
        } catch (StoreCorruptedException e) {
            LOG.errorf(e, "Node '%s' cannot read its own store", nodeName);
            return PeerResponse.error(500, "store corrupted", e.getMessage());
        } catch (ConflictException e) {
            return PeerResponse.error(409, "conflict", e.getMessage());
        } catch (LockWaitTimeoutException e) {
            return PeerResponse.error(503, "lock wait timeout", e.getMessage());
        } catch (NotReadyException e) {
            return PeerResponse.error(503, "not ready", e.getMessage());
        } catch (IllegalStateException e) {
            LocalNode n = node.get();
            if (n == null || !n.isOpen()) {
                return PeerResponse.error(503, "not ready", "node '" + nodeName + "' is shutting down");
            }
            // A call that contradicts what already happened to the branch (e.g. commit after rollback).
            return PeerResponse.error(409, "out of order", e.getMessage());
        } catch (Level2pcException e) {
            return PeerResponse.error(503, "retry", e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Peer request %s from '%s' failed on node '%s'", request.operation(), request.sender(), nodeName);
            return PeerResponse.error(500, "internal error", String.valueOf(e.getMessage()));
        }
    }

    static String helloJson(String node, String cluster, long clock, boolean current) {
        return "{\"node\":\"" + node + "\",\"cluster\":\"" + cluster + "\",\"protocol\":" + PeerProtocol.VERSION
                + ",\"clock\":" + clock + ",\"current\":" + current + "}";
    }

    /**
     * Answers a hello. In quorum mode a hello that asks for a read lease makes the answer this node's promise
     * to the caller, recorded before the answer leaves.
     */
    private PeerResponse hello(PeerRequest request) {
        LocalNode n = node.get();
        java.util.function.Consumer<String> p = promise;
        if (p != null && java.util.Arrays.equals(request.body(), PeerProtocol.ASK_LEASE)) {
            p.accept(request.sender());
        }
        return PeerResponse.ok(helloJson(nodeName, clusterName, n == null || !n.isOpen() ? 0 : n.clockReading(),
                current.getAsBoolean()));
    }

    private volatile java.util.function.Consumer<String> promise;
    private volatile java.util.function.BooleanSupplier current = () -> true;

    /**
     * Quorum mode: {@code promise} is called with the sender of every answered hello that asks for a lease;
     * {@code current} tells whether this node is current (answered in every hello).
     */
    public void quorumMode(java.util.function.Consumer<String> promise, java.util.function.BooleanSupplier current) {
        this.promise = promise;
        this.current = current;
    }

    private PeerResponse branchState(PeerRequest request) {
        if (request.body().length == 0 || request.body().length > BranchId.MAX_ID_LENGTH) {
            throw new MalformedRequest("the body must be a global transaction id of 1.." + BranchId.MAX_ID_LENGTH + " bytes");
        }
        return PeerResponse.ok(local().branchState(io.quarkiverse.level2pc.core.Bytes.wrap(request.body().clone())));
    }

    private PeerResponse caughtUp(PeerRequest request) {
        List<io.quarkiverse.level2pc.core.Bytes> gtrids;
        try {
            gtrids = Codec.decodeGtrids(request.body());
        } catch (StoreCorruptedException e) {
            throw new MalformedRequest(e.getMessage());
        }
        local().caughtUp(request.sender(), gtrids);
        return PeerResponse.ok(PeerProtocol.DONE);
    }

    private LocalNode local() {
        LocalNode n = node.get();
        if (n == null || !n.isOpen()) {
            throw new NotReadyException("node '" + nodeName + "' is not open");
        }
        return n;
    }

    private PeerResponse prepare(PeerRequest request) {
        Codec.PrepareRecord r = decodeWork(request.body());
        LocalNode.Vote vote = local().prepare(r.branch(), r.work());
        return PeerResponse.ok(vote == LocalNode.Vote.YES ? PeerProtocol.VOTE_YES : PeerProtocol.VOTE_READ_ONLY);
    }

    private PeerResponse commit(PeerRequest request) {
        byte[] body = request.body();
        if (body.length < 1 || (body[0] != 0 && body[0] != 1)) {
            throw new IllegalArgumentException("commit body must start with 0 (two-phase) or 1 (one-phase)");
        }
        byte[] rest = java.util.Arrays.copyOfRange(body, 1, body.length);
        if (body[0] == 1) {
            Codec.PrepareRecord r = decodeWork(rest);
            local().commitOnePhase(r.branch(), r.work());
            return PeerResponse.ok(PeerProtocol.DONE);
        }
        BranchId id = decodeBranch(rest);
        PeerResponse byHand = decidedByHand(id, true);
        return byHand != null ? byHand : completion(local().commit(id), id);
    }

    /** What this node, as coordinator, knows of a transaction; a 500 if its transaction log cannot be read. */
    private PeerResponse outcome(PeerRequest request) {
        BranchId id = decodeBranch(request.body());
        String answer;
        try {
            answer = outcomes.apply(id);
        } catch (IllegalStateException e) {
            LOG.errorf(e, "Node '%s' cannot tell the outcome of %s", nodeName, id);
            return PeerResponse.error(500, "outcome unknown", String.valueOf(e.getMessage()));
        }
        return PeerResponse.ok(answer);
    }

    private PeerResponse rollback(PeerRequest request) {
        BranchId id = decodeBranch(request.body());
        PeerResponse byHand = decidedByHand(id, false);
        return byHand != null ? byHand : completion(local().rollback(id), id);
    }

    /**
     * The answer for a branch an operator decided by hand: done if the coordinator decided the same,
     * else a 409 naming the heuristic outcome ({@value PeerProtocol#HEURISTIC_COMMIT} or
     * {@value PeerProtocol#HEURISTIC_ROLLBACK}); {@code null} if no one decided it by hand.
     */
    private PeerResponse decidedByHand(BranchId id, boolean commit) {
        io.quarkiverse.level2pc.core.Outcome byHand = local().heuristicOutcome(id);
        if (byHand == null) {
            return null;
        }
        boolean committed = byHand == io.quarkiverse.level2pc.core.Outcome.COMMITTED;
        if (committed == commit) {
            return PeerResponse.ok(PeerProtocol.DONE);
        }
        LOG.errorf("Coordinator decided to %s branch %s, which an operator %s by hand on node '%s': heuristic outcome",
                commit ? "commit" : "roll back", id, committed ? "committed" : "rolled back", nodeName);
        return PeerResponse.error(409, committed ? PeerProtocol.HEURISTIC_COMMIT : PeerProtocol.HEURISTIC_ROLLBACK,
                "branch " + id + " was " + (committed ? "committed" : "rolled back") + " by an operator on node '" + nodeName
                        + "' before the coordinator's decision arrived");
    }

    private PeerResponse recover(PeerRequest request) {
        LocalNode n = local();
        // A branch this node adopted while catching up (quorum mode) is not the caller's to recover: the caller
        // never enlisted this node, would find no log for it and presume abort. It is resolved with its
        // participants (see branch-state).
        List<BranchId> mine = n.prepared().stream()
                .filter(id -> request.sender().equals(n.coordinatorOf(id)) && !n.isAdopted(id))
                .toList();
        return PeerResponse.ok(Codec.encodeBranches(mine));
    }

    private static PeerResponse completion(LocalNode.Completion c, BranchId id) {
        return c == LocalNode.Completion.DONE ? PeerResponse.ok(PeerProtocol.DONE)
                : PeerResponse.error(404, "unknown branch", "no branch " + id + " is prepared or remembered here");
    }

    private static Codec.PrepareRecord decodeWork(byte[] body) {
        if (body.length == 0) {
            throw new MalformedRequest("empty body: a prepare record is required");
        }
        try {
            return Codec.decodePrepare(body);
        } catch (StoreCorruptedException e) {
            throw new MalformedRequest(e.getMessage());
        }
    }

    private static BranchId decodeBranch(byte[] body) {
        try {
            return Codec.decodeBranch(body);
        } catch (StoreCorruptedException e) {
            throw new MalformedRequest(e.getMessage());
        }
    }

    /** The caller sent bytes that do not decode: a 400, nothing changed. */
    private static final class MalformedRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedRequest(String message) {
            super(message);
        }
    }
}
