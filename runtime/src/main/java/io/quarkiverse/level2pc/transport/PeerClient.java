package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;

/**
 * The coordinator side of the peer protocol: typed calls encoded for a {@link PeerTransport}, and the
 * peer's answers decoded back into votes, completions and the extension's exceptions.
 */
public final class PeerClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a peer says about itself. */
    /**
     * What a peer says about itself: its name, cluster, protocol, clock reading (commit stamps) and whether
     * it is current (quorum mode: a node catching up takes no part in writes; always true otherwise).
     */
    public record Hello(String node, String cluster, int protocol, long clock, boolean current) {
    }

    private final PeerTransport transport;
    private final String self;

    public PeerClient(PeerTransport transport, String self) {
        this.transport = transport;
        this.self = self;
    }

    public String self() {
        return self;
    }

    public Hello hello(URI peer) {
        return hello(peer, false);
    }

    /**
     * A heartbeat; with {@code askLease} (quorum mode) the answer is also the peer's promise not to commit
     * without this node for twice {@code read-lease}.
     */
    public Hello hello(URI peer, boolean askLease) {
        PeerResponse r = call(peer, PeerProtocol.HELLO, askLease ? PeerProtocol.ASK_LEASE : new byte[0]);
        try {
            JsonNode j = JSON.readTree(r.body());
            return new Hello(j.path("node").asText(), j.path("cluster").asText(), j.path("protocol").asInt(),
                    j.path("clock").asLong(0), j.path("current").asBoolean(true));
        } catch (java.io.IOException e) {
            throw new PeerUnavailableException("peer " + peer + " answered hello with something that is not JSON: " + r.bodyText());
        }
    }

    public LocalNode.Vote prepare(URI peer, BranchId id, TxWork work) {
        return vote(peer, call(peer, PeerProtocol.PREPARE, Codec.encodePrepare(id, work)));
    }

    /** {@link #prepare} without blocking a thread while it is under way (see {@link PeerTransport#sendAsync}). */
    public java.util.concurrent.CompletableFuture<LocalNode.Vote> prepareAsync(URI peer, BranchId id, TxWork work,
            java.util.concurrent.Executor executor) {
        return callAsync(peer, PeerProtocol.PREPARE, Codec.encodePrepare(id, work), executor).thenApply(r -> vote(peer, r));
    }

    /** {@link #commit} without blocking a thread while it is under way. */
    public java.util.concurrent.CompletableFuture<LocalNode.Completion> commitAsync(URI peer, BranchId id,
            java.util.concurrent.Executor executor) {
        return callAsync(peer, PeerProtocol.COMMIT, commitBody(id), executor).thenApply(PeerClient::completion);
    }

    /** {@link #rollback} without blocking a thread while it is under way. */
    public java.util.concurrent.CompletableFuture<LocalNode.Completion> rollbackAsync(URI peer, BranchId id,
            java.util.concurrent.Executor executor) {
        return callAsync(peer, PeerProtocol.ROLLBACK, Codec.encodeBranch(id), executor).thenApply(PeerClient::completion);
    }

    private static LocalNode.Vote vote(URI peer, PeerResponse r) {
        String vote = r.bodyText();
        return switch (vote) {
            case PeerProtocol.VOTE_YES -> LocalNode.Vote.YES;
            case PeerProtocol.VOTE_READ_ONLY -> LocalNode.Vote.READ_ONLY;
            default -> throw new Level2pcException("peer " + peer + " answered prepare with '" + vote + "'");
        };
    }

    private static byte[] commitBody(BranchId id) {
        byte[] b = Codec.encodeBranch(id);
        byte[] body = new byte[b.length + 1];
        System.arraycopy(b, 0, body, 1, b.length);
        return body;
    }

    public LocalNode.Completion commitOnePhase(URI peer, BranchId id, TxWork work) {
        byte[] rec = Codec.encodePrepare(id, work);
        byte[] body = new byte[rec.length + 1];
        body[0] = 1;
        System.arraycopy(rec, 0, body, 1, rec.length);
        return completion(call(peer, PeerProtocol.COMMIT, body));
    }

    public LocalNode.Completion commit(URI peer, BranchId id) {
        return completion(call(peer, PeerProtocol.COMMIT, commitBody(id)));
    }

    public LocalNode.Completion rollback(URI peer, BranchId id) {
        return completion(call(peer, PeerProtocol.ROLLBACK, Codec.encodeBranch(id)));
    }

    /** Branches prepared on {@code peer} whose coordinator is this node. */
    public List<BranchId> recover(URI peer) {
        return Codec.decodeBranches(call(peer, PeerProtocol.RECOVER, new byte[0]).body());
    }

    /**
     * Asks {@code coordinator} what became of the transaction of {@code id} (the callback site):
     * {@code COMMITTED}, {@code ROLLED_BACK} (presumed abort), {@code IN_PROGRESS} or
     * {@code NOT_COORDINATOR}.
     */
    public String outcome(URI coordinator, BranchId id) {
        return call(coordinator, PeerProtocol.OUTCOME, Codec.encodeBranch(id)).bodyText();
    }

    /** Quorum mode: what this node missed and must take from {@code peer} before it reads again. */
    public Codec.CatchUp catchUp(URI peer) {
        return Codec.decodeCatchUp(call(peer, PeerProtocol.CATCH_UP, new byte[0]).body());
    }

    /** Quorum mode: tells {@code peer} this node applied the hints {@code gtrids} it sent. */
    public void caughtUp(URI peer, List<io.quarkiverse.level2pc.core.Bytes> gtrids) {
        call(peer, PeerProtocol.CAUGHT_UP, Codec.encodeGtrids(gtrids));
    }

    /**
     * Quorum mode: what a participant of the transaction {@code gtrid} knows of it (resolving a branch this
     * node adopted while catching up): {@code IN_PROGRESS}, {@code COMMITTED} or {@code NO_RECORD}.
     */
    public String branchState(URI peer, io.quarkiverse.level2pc.core.Bytes gtrid) {
        return call(peer, PeerProtocol.BRANCH_STATE, gtrid.unsafeArray()).bodyText().trim();
    }

    private static LocalNode.Completion completion(PeerResponse r) {
        return r.status() == 404 ? LocalNode.Completion.UNKNOWN : LocalNode.Completion.DONE;
    }

    /**
     * Sends and maps every non-success status to an exception, except 404 ("unknown branch"), which
     * second-phase calls turn into {@link LocalNode.Completion#UNKNOWN}.
     */
    private PeerResponse call(URI peer, String operation, byte[] body) {
        return check(peer, operation, transport.send(peer, new PeerRequest(self, operation, body)));
    }

    private java.util.concurrent.CompletableFuture<PeerResponse> callAsync(URI peer, String operation, byte[] body,
            java.util.concurrent.Executor executor) {
        return transport.sendAsync(peer, new PeerRequest(self, operation, body), executor).thenApply(r -> check(peer, operation, r));
    }

    /** Maps every non-success status to an exception (see {@link #call}). */
    private static PeerResponse check(URI peer, String operation, PeerResponse r) {
        int s = r.status();
        if (s == 200 || (s == 404 && !PeerProtocol.HELLO.equals(operation) && isUnknownBranch(r))) {
            return r;
        }
        String detail = detail(r);
        String where = "peer " + peer + " (" + operation + "): ";
        switch (s) {
            case 409:
                if ("conflict".equals(error(r))) {
                    throw new ConflictException(detail);
                }
                if (PeerProtocol.HEURISTIC_COMMIT.equals(error(r)) || PeerProtocol.HEURISTIC_ROLLBACK.equals(error(r))) {
                    throw new HeuristicOutcome(PeerProtocol.HEURISTIC_COMMIT.equals(error(r)), where + detail);
                }
                throw new IllegalStateException(where + detail);
            case 503:
                if ("lock wait timeout".equals(error(r))) {
                    throw new LockWaitTimeoutException(detail);
                }
                throw new PeerUnavailableException(where + detail);
            case 401:
                throw new PeerRefusedException(where + "refused our authentication: " + detail
                        + " (all nodes must share quarkus.level-2pc.cluster-secret)");
            case 412:
                throw new PeerRefusedException(where + detail);
            default:
                if (s >= 500) {
                    throw new PeerUnavailableException(where + "HTTP " + s + ": " + detail);
                }
                throw new Level2pcException(where + "refused the request, HTTP " + s + ": " + detail);
        }
    }

    /** The peer's branch was decided by an operator, against the decision the coordinator sent. */
    public static final class HeuristicOutcome extends Level2pcException {
        private static final long serialVersionUID = 1L;
        private final boolean committed;

        HeuristicOutcome(boolean committed, String message) {
            super(message);
            this.committed = committed;
        }

        /** Whether the operator committed the branch (else rolled it back). */
        public boolean committed() {
            return committed;
        }
    }

    private static boolean isUnknownBranch(PeerResponse r) {
        return "unknown branch".equals(error(r));
    }

    private static String error(PeerResponse r) {
        try {
            return JSON.readTree(r.body()).path("error").asText(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String detail(PeerResponse r) {
        try {
            JsonNode j = JSON.readTree(r.body());
            return j.path("detail").asText(new String(r.body(), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            return new String(r.body(), StandardCharsets.UTF_8);
        }
    }
}
