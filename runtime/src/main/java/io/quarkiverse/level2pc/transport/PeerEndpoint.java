package io.quarkiverse.level2pc.transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PromiseRefusalException;
import io.quarkiverse.level2pc.node.Tracing;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.node.WaitAloneException;
import io.quarkiverse.level2pc.node.Heuristics;

/**
 * The participant side of the peer protocol, independent of how requests arrive (REST route, in-memory
 * transport): decodes a request, runs it against the local node and encodes the answer. Malformed input
 * is a 400 naming the problem and changes nothing; every operation is idempotent. A sender that is not a member is
 * refused before anything else ({@link #members}). The phase operations (and hello) never block, so they may run on an
 * event loop; the others may read the store at length or ask a transaction manager's log ({@link #isBlocking}).
 */
public final class PeerEndpoint {

    private static final Logger LOG = Logger.getLogger(PeerEndpoint.class);
    private static final Set<String> NON_BLOCKING = Set.of(PeerProtocol.HELLO, PeerProtocol.PREPARE, PeerProtocol.COMMIT,
            PeerProtocol.ROLLBACK, PeerProtocol.BATCH);

    private final Supplier<Node> node;
    private final String nodeName;
    private final String clusterName;
    private volatile Consumer<String> promise;
    private volatile BooleanSupplier current = () -> true;

    private volatile Consumer<String> heardFrom = name -> {
    };
    private volatile int minConsensus = -1;
    private volatile long readLeaseMillis = -1;
    private volatile Tracing tracing = Tracing.NONE;
    private volatile Membership members;
    private volatile Executor blocking = Runnable::run;

    public PeerEndpoint(Supplier<Node> node, String nodeName, String clusterName) {
        this.node = node;
        this.nodeName = nodeName;
        this.clusterName = clusterName;
    }

    /**
     * Quorum mode: {@code promise} is called with the sender of every answered hello that asks for a lease;
     * {@code current} tells whether this node is current (answered in every hello).
     */
    public void quorumMode(Consumer<String> promise, BooleanSupplier current) {
        this.promise = promise;
        this.current = current;
    }

    /** Where the spans of traced messages handled here go; {@link Tracing#NONE} by default. */
    public void tracing(Tracing t) {
        this.tracing = t;
    }

    /** Whether handling {@code operation} may block the calling thread (then: not on an event loop). */
    public static boolean isBlocking(String operation) {
        return !NON_BLOCKING.contains(operation);
    }

    /**
     * Only members may send requests from now on ({@link Membership}); a request that had to wait for the decision
     * continues on {@code blocking} if it may block ({@link #isBlocking}), else on the thread the decision came on.
     * Without it every authentic sender is served (tests of the other rules).
     */
    public void members(Membership m, Executor blocking) {
        this.blocking = blocking;
        this.members = m;
    }

    /**
     * Handles a request: refused before it has any effect unless its sender is a member (a name query excepted), then
     * decoded, run against the local node and answered.
     */
    public CompletableFuture<PeerResponse> handle(PeerRequest request) {
        Membership m = members;
        if (m == null || isNameQuery(request)) {
            return handleAdmitted(request);
        }
        CompletableFuture<PeerResponse> refusal = m.admit(request.sender());
        if (refusal.isDone()) {
            PeerResponse r = refusal.join();
            return r != null ? CompletableFuture.completedFuture(r) : handleAdmitted(request);
        }
        Executor next = isBlocking(request.operation()) ? blocking : Runnable::run;
        return refusal.thenComposeAsync(r -> r != null ? CompletableFuture.completedFuture(r) : handleAdmitted(request), next);
    }

    private static boolean isNameQuery(PeerRequest request) {
        return PeerProtocol.HELLO.equals(request.operation()) && Arrays.equals(request.body(), PeerProtocol.ASK_NAME);
    }

    private CompletableFuture<PeerResponse> handleAdmitted(PeerRequest request) {
        return handleAdmitted(request, true);
    }

    /** @param mayWait whether a prepare may wait for a lock here (else: 423, see {@link WaitAloneException}) */
    private CompletableFuture<PeerResponse> handleAdmitted(PeerRequest request, boolean mayWait) {
        CompletableFuture<PeerResponse> answer;
        try {
            answer = dispatch(request, mayWait);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((r, failure) -> failure == null ? r : errorResponse(request, Futures.unwrap(failure)));
    }

    private CompletableFuture<PeerResponse> dispatch(PeerRequest request, boolean mayWait) {
        return switch (request.operation()) {
            case PeerProtocol.HELLO -> CompletableFuture.completedFuture(hello(request));
            case PeerProtocol.PREPARE -> prepare(request.body(), mayWait);
            case PeerProtocol.COMMIT -> secondPhase(request.body(), true);
            case PeerProtocol.ROLLBACK -> secondPhase(request.body(), false);
            case PeerProtocol.BATCH -> batch(request);
            case PeerProtocol.CATCH_UP -> done(Codec.encodeCatchUp(open().catchUps().catchUpFor(request.sender())));
            case PeerProtocol.CAUGHT_UP -> open().catchUps().caughtUp(request.sender(), Codec.decodeGtrids(request.body()))
                    .thenApply(v -> PeerResponse.ok(PeerProtocol.DONE));
            case PeerProtocol.BRANCH_STATE -> branchState(request);
            case PeerProtocol.RECOVER -> recover(request);
            case PeerProtocol.OUTCOME -> outcome(request);
            default -> CompletableFuture.completedFuture(PeerResponse.error(404, "unknown operation",
                    "'" + request.operation() + "' is not an operation of peer protocol " + PeerProtocol.VERSION));
        };
    }

    private PeerResponse errorResponse(PeerRequest request, Throwable e) {
        if (e instanceof DecodeException || e instanceof IllegalArgumentException) {
            return PeerResponse.error(400, "malformed request", e.getMessage());
        }
        if (e instanceof ConflictException) {
            return PeerResponse.error(409, "conflict", e.getMessage());
        }
        if (e instanceof WaitAloneException) {
            return PeerResponse.error(PeerProtocol.WAIT_ALONE, "wait alone", e.getMessage());
        }
        if (e instanceof LockWaitTimeoutException) {
            return PeerResponse.error(503, "lock wait timeout", e.getMessage());
        }
        if (e instanceof PromiseRefusalException p) {
            return PeerResponse.promised(p.getMessage(), p.retryAfterMillis());
        }
        if (e instanceof NotReadyException) {
            return PeerResponse.error(503, "not ready", e.getMessage());
        }
        if (e instanceof IllegalStateException) {
            Node n = node.get();
            if (n == null || !n.isOpen()) {
                return PeerResponse.error(503, "not ready", "node '" + nodeName + "' is shutting down");
            }
            // A call that contradicts what already happened to the branch (e.g. commit after rollback).
            return PeerResponse.error(409, "out of order", e.getMessage());
        }
        if (e instanceof Level2pcException) {
            // Also a failed store (logged once where it failed): the caller retries a decided commit until it works.
            return PeerResponse.error(503, "retry", e.getMessage());
        }
        LOG.errorf(e, "Peer request %s from '%s' failed on node '%s'", request.operation(), request.sender(), nodeName);
        return PeerResponse.error(500, "internal error", String.valueOf(e.getMessage()));
    }

    static String helloJson(String node, String cluster, long clock, boolean current, int minConsensus, long readLeaseMillis) {
        return helloJson(node, cluster, clock, current, minConsensus, readLeaseMillis, false);
    }

    /** The hello answer; {@code behind} is said only when true (an absent field reads as false). */
    static String helloJson(String node, String cluster, long clock, boolean current, int minConsensus, long readLeaseMillis,
            boolean behind) {
        return "{\"node\":\"" + node + "\",\"cluster\":\"" + cluster + "\",\"protocol\":" + PeerProtocol.VERSION
                + ",\"clock\":" + clock + ",\"current\":" + current
                + (minConsensus < 0 ? "" : ",\"minConsensus\":" + minConsensus)
                + (readLeaseMillis < 0 ? "" : ",\"readLease\":" + readLeaseMillis) + (behind ? ",\"behind\":true" : "") + "}";
    }

    /** {@code listener} learns the name of every node that says hello to this one (authenticated callers only). */
    public void onHello(Consumer<String> listener) {
        this.heardFrom = listener;
    }

    /**
     * The settings every node of the cluster must share, said in every hello answer so that a peer with
     * others refuses this node by name and value ({@code readLeaseMillis} -1 outside quorum mode).
     */
    public void settings(int minConsensus, long readLeaseMillis) {
        this.minConsensus = minConsensus;
        this.readLeaseMillis = readLeaseMillis;
    }

    /**
     * Answers a hello. In quorum mode a hello that asks for a read lease makes the answer this node's promise
     * to the caller, recorded before the answer leaves, and says whether the caller is behind
     * ({@link io.quarkiverse.level2pc.node.CatchUps#behind}). The promise is recorded first, then the check runs: a
     * prepare leaving the caller out that is registered after the check meets the promise and is refused, one
     * registered before it is seen by the check (both take the node lock). So a caller told it is not behind has
     * nothing in flight here that could commit without it.
     */
    private PeerResponse hello(PeerRequest request) {
        Node n = open();
        boolean behind = false;
        // A name query is answered to any authentic caller (it may not be a member): it changes nothing here.
        if (!isNameQuery(request)) {
            heardFrom.accept(request.sender());
            Consumer<String> p = promise;
            if (p != null && Arrays.equals(request.body(), PeerProtocol.ASK_LEASE)) {
                p.accept(request.sender());
                behind = n.catchUps().behind(request.sender());
            }
        }
        return PeerResponse.ok(helloJson(nodeName, clusterName, n.local().clockReading(), current.getAsBoolean(), minConsensus,
                readLeaseMillis, behind));
    }

    /**
     * Several phase messages in one request: each is handled as if it came alone, except that a prepare among others
     * never waits for a lock (it would hold every answer of the batch): it is answered 423 and sent again alone. The
     * answers go back in order.
     */
    private CompletableFuture<PeerResponse> batch(PeerRequest request) {
        List<byte[]> frames = Codec.decodeFrames(request.body(), PeerBatcher.MAX_MESSAGES);
        boolean alone = frames.size() == 1;
        List<CompletableFuture<PeerResponse>> answers = new ArrayList<>(frames.size());
        for (byte[] f : frames) {
            String op = f.length == 0 ? null : PeerBatcher.operationOf(f[0]);
            boolean traced = op != null && PeerBatcher.isTraced(f[0]);
            if (op == null || (traced && f.length < 1 + PeerProtocol.TRACEPARENT_LENGTH)) {
                answers.add(CompletableFuture.completedFuture(PeerResponse.error(400, "malformed request",
                        "a batched message must start with 'p', 'c' or 'r', or 'P', 'C' or 'R' and a traceparent")));
            } else if (!traced) {
                answers.add(handleAdmitted(new PeerRequest(request.sender(), op, Arrays.copyOfRange(f, 1, f.length)), alone));
            } else {
                int head = 1 + PeerProtocol.TRACEPARENT_LENGTH;
                String traceparent = new String(f, 1, PeerProtocol.TRACEPARENT_LENGTH, StandardCharsets.US_ASCII);
                answers.add(traced(request.sender(), op, traceparent, Arrays.copyOfRange(f, head, f.length), alone));
            }
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<byte[]> out = new ArrayList<>(answers.size());
            answers.forEach(a -> out.add(PeerBatcher.answerFrame(a.join())));
            return PeerResponse.ok(Codec.encodeFrames(out));
        });
    }

    /**
     * A traced message: handled like any other, within a span whose parent is the sender's {@code traceparent} (an
     * invalid one is ignored, as W3C Trace Context asks).
     */
    private CompletableFuture<PeerResponse> traced(String sender, String op, String traceparent, byte[] body, boolean mayWait) {
        Tracing t = tracing;
        if (t == Tracing.NONE || !PeerBatcher.validTraceparent(traceparent)) {
            return handleAdmitted(new PeerRequest(sender, op, body), mayWait);
        }
        BranchId id = null;
        try {
            id = Codec.branchOf(body, PeerProtocol.PREPARE.equals(op));
        } catch (RuntimeException e) {
            // the handler answers 400 for it
        }
        Tracing.Span span = t.handling(traceparent, op, sender, id);
        CompletableFuture<PeerResponse> answer = handleAdmitted(new PeerRequest(sender, op, body), mayWait);
        answer.whenComplete((r, e) -> span.end(e != null ? Futures.unwrap(e)
                : r.status() >= 400 && r.status() != 404 ? new Level2pcException(op + " answered " + r.status() + " "
                        + new String(r.body(), StandardCharsets.UTF_8)) : null));
        return answer;
    }

    private CompletableFuture<PeerResponse> prepare(byte[] body, boolean mayWait) {
        if (body.length == 0) {
            throw new IllegalArgumentException("empty body: a prepare record is required");
        }
        PrepareRecord r = Codec.decodePrepare(body);
        return open().local().prepare(r.branch(), r.work(), mayWait)
                .thenApply(vote -> PeerResponse.ok(vote == Vote.YES ? PeerProtocol.VOTE_YES : PeerProtocol.VOTE_READ_ONLY));
    }

    private CompletableFuture<PeerResponse> secondPhase(byte[] body, boolean commit) {
        BranchId id = Codec.decodeBranch(body);
        Node n = open();
        LocalNode local = n.local();
        PeerResponse byHand = decidedByHand(n.heuristics(), id, commit);
        if (byHand != null) {
            return CompletableFuture.completedFuture(byHand);
        }
        return (commit ? local.commit(id) : local.rollback(id)).thenApply(c -> completion(c, id));
    }

    /** What this node, as coordinator, knows of a transaction; a 500 if a transaction log cannot be read. */
    private CompletableFuture<PeerResponse> outcome(PeerRequest request) {
        BranchId id = Codec.decodeBranch(request.body());
        Outcome answer;
        try {
            answer = open().coordinator().outcomeOf(id);
        } catch (IllegalStateException e) {
            LOG.errorf(e, "Node '%s' cannot tell the outcome of %s", nodeName, id);
            return done(PeerResponse.error(500, "outcome unknown", String.valueOf(e.getMessage())));
        }
        return done(PeerResponse.ok(answer.name()));
    }

    private CompletableFuture<PeerResponse> branchState(PeerRequest request) {
        if (request.body().length == 0 || request.body().length > BranchId.MAX_ID_LENGTH) {
            throw new IllegalArgumentException("the body must be a global transaction id of 1.." + BranchId.MAX_ID_LENGTH + " bytes");
        }
        return done(PeerResponse.ok(open().catchUps().branchState(Bytes.copyOf(request.body())).name()));
    }

    /**
     * The answer for a branch an operator decided by hand: done if the coordinator decided the same, else a
     * 409 naming the heuristic outcome; {@code null} if no one decided it by hand.
     */
    private PeerResponse decidedByHand(Heuristics heuristics, BranchId id, boolean commit) {
        Outcome byHand = heuristics.heuristicOutcome(id);
        if (byHand == null) {
            return null;
        }
        boolean committed = byHand == Outcome.COMMITTED;
        if (committed == commit) {
            return PeerResponse.ok(PeerProtocol.DONE);
        }
        LOG.errorf("Coordinator decided to %s branch %s, which an operator %s by hand on node '%s': heuristic outcome",
                commit ? "commit" : "roll back", id, committed ? "committed" : "rolled back", nodeName);
        return PeerResponse.error(409, committed ? PeerProtocol.HEURISTIC_COMMIT : PeerProtocol.HEURISTIC_ROLLBACK,
                "branch " + id + " was " + (committed ? "committed" : "rolled back") + " by an operator on node '" + nodeName
                        + "' before the coordinator's decision arrived");
    }

    private CompletableFuture<PeerResponse> recover(PeerRequest request) {
        Node n = open();
        // A branch this node adopted while catching up (quorum mode) is not the caller's to recover: the caller
        // never enlisted this node, would find no log for it and presume abort. It is resolved with its
        // participants (see branch-state).
        List<BranchId> mine = n.local().prepared().stream()
                .filter(id -> request.sender().equals(n.local().coordinatorOf(id)) && !n.catchUps().isAdopted(id))
                .toList();
        return done(Codec.encodeBranches(mine));
    }

    private static PeerResponse completion(Completion c, BranchId id) {
        return c == Completion.DONE ? PeerResponse.ok(PeerProtocol.DONE)
                : PeerResponse.error(404, "unknown branch", "no branch " + id + " is prepared or remembered here");
    }

    private Node open() {
        Node n = node.get();
        if (n == null || !n.isOpen()) {
            throw new NotReadyException("node '" + nodeName + "' is not open");
        }
        return n;
    }

    private static CompletableFuture<PeerResponse> done(byte[] body) {
        return CompletableFuture.completedFuture(PeerResponse.ok(body));
    }

    private static CompletableFuture<PeerResponse> done(PeerResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
