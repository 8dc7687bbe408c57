package io.quarkiverse.level2pc.transport;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.Scheduler;
import io.quarkiverse.level2pc.node.PromiseRefusalException;
import io.quarkiverse.level2pc.node.Telemetry;
import io.quarkiverse.level2pc.node.Tracing;
import io.quarkiverse.level2pc.node.Vote;

/**
 * The coordinator side of the peer protocol: typed calls encoded for a {@link PeerTransport}, and the
 * peer's answers decoded back into votes, completions and the extension's exceptions. The phase messages
 * (prepare, commit, rollback) go through a {@link PeerBatcher}: concurrent ones to one peer share a request.
 */
public final class PeerClient implements PeerLink {

    private volatile Telemetry telemetry = Telemetry.NONE;
    private volatile Tracing tracing = Tracing.NONE;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PeerTransport transport;
    private final String self;
    private final Executor executor;
    private final PeerBatcher batcher;
    /** Each peer's node name, from its last hello answer: every other request is addressed (and signed) to it. */
    private final Map<String, String> names = new ConcurrentHashMap<>();

    /**
     * @param executor where a transport without a non-blocking send runs its calls (see
     *        {@link PeerTransport#sendAsync})
     */
    public PeerClient(PeerTransport transport, String self, Executor executor) {
        this(transport, self, executor, null, Duration.ZERO);
    }

    /**
     * @param scheduler frees the request slots of slow prepares (see {@link PeerBatcher#SLOW_REQUEST_NANOS}) and bounds a
     *        prepare sent again alone by {@code callTimeout}; {@code null}: a slot is freed by its answer only
     * @param callTimeout the transport's timeout of a call
     */
    public PeerClient(PeerTransport transport, String self, Executor executor, Scheduler scheduler,
            Duration callTimeout) {
        this.transport = transport;
        this.self = self;
        this.executor = executor;
        this.batcher = new PeerBatcher(transport, self, executor, names::get, scheduler, callTimeout);
    }

    public String self() {
        return self;
    }

    @Override
    public CompletableFuture<Hello> hello(String peer, boolean askLease) {
        return hello(peer, call(peer, PeerProtocol.HELLO, askLease ? PeerProtocol.ASK_LEASE : new byte[0]));
    }

    /**
     * A name query: a hello that only asks the peer who it is (see {@link Membership}), addressed to nobody so that a
     * peer renamed since its last answer answers it too.
     */
    public CompletableFuture<Hello> askName(String peer) {
        return hello(peer, call(peer, PeerProtocol.HELLO, PeerProtocol.ASK_NAME, null));
    }

    /** The node name {@code peer} answered its last hello with; {@code null} if none is known. */
    @Override
    public String nameOf(String peer) {
        return names.get(peer);
    }

    private CompletableFuture<Hello> hello(String peer, CompletableFuture<PeerResponse> answer) {
        return answer.thenApply(r -> {
            try {
                JsonNode j = JSON.readTree(r.body());
                if (!j.path("node").asText().isEmpty()) {
                    names.put(peer, j.path("node").asText());
                }
                return new Hello(j.path("node").asText(), j.path("cluster").asText(), j.path("protocol").asInt(),
                        j.path("clock").asLong(0), j.path("current").asBoolean(true), j.path("minConsensus").asInt(-1),
                        j.path("readLease").asLong(-1), j.path("behind").asBoolean(false));
            } catch (IOException e) {
                throw new PeerUnavailableException("peer " + peer + " answered hello with something that is not JSON: " + r.bodyText());
            }
        });
    }

    @Override
    public CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work) {
        return prepare(peer, id, work, Tracing.Span.NONE);
    }

    @Override
    public CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work, Tracing.Span span) {
        return phase(peer, PeerProtocol.PREPARE, id, Codec.encodePrepare(id, work), span).thenApply(r -> {
            String vote = r.bodyText();
            return switch (vote) {
                case PeerProtocol.VOTE_YES -> Vote.YES;
                case PeerProtocol.VOTE_READ_ONLY -> Vote.READ_ONLY;
                default -> throw new Level2pcException("peer " + peer + " answered prepare with '" + vote + "'");
            };
        });
    }

    @Override
    public CompletableFuture<Completion> commit(String peer, BranchId id) {
        return commit(peer, id, Tracing.Span.NONE);
    }

    @Override
    public CompletableFuture<Completion> commit(String peer, BranchId id, Tracing.Span span) {
        return phase(peer, PeerProtocol.COMMIT, id, Codec.encodeBranch(id), span).thenApply(PeerClient::completion);
    }

    @Override
    public CompletableFuture<Completion> rollback(String peer, BranchId id) {
        return rollback(peer, id, Tracing.Span.NONE);
    }

    @Override
    public CompletableFuture<Completion> rollback(String peer, BranchId id, Tracing.Span span) {
        return phase(peer, PeerProtocol.ROLLBACK, id, Codec.encodeBranch(id), span).thenApply(PeerClient::completion);
    }

    @Override
    public CompletableFuture<Outcome> outcome(String peer, BranchId id) {
        return call(peer, PeerProtocol.OUTCOME, Codec.encodeBranch(id)).thenApply(r -> Outcome.parse(r.bodyText()));
    }

    @Override
    public CompletableFuture<Outcome> branchState(String peer, Bytes gtrid) {
        return call(peer, PeerProtocol.BRANCH_STATE, gtrid.unsafeArray()).thenApply(r -> Outcome.parse(r.bodyText()));
    }

    @Override
    public CompletableFuture<CatchUp> catchUp(String peer) {
        return call(peer, PeerProtocol.CATCH_UP, new byte[0]).thenApply(r -> decoded(peer, () -> Codec.decodeCatchUp(r.body())));
    }

    @Override
    public CompletableFuture<Void> caughtUp(String peer, List<Bytes> gtrids) {
        return call(peer, PeerProtocol.CAUGHT_UP, Codec.encodeGtrids(gtrids)).thenApply(r -> null);
    }

    /** Branches prepared on {@code peer} whose coordinator is this node (for a transaction manager's recovery). */
    public List<BranchId> recover(String peer) {
        return Futures.join(call(peer, PeerProtocol.RECOVER, new byte[0]).thenApply(r -> decoded(peer,
                () -> Codec.decodeBranches(r.body()))));
    }

    private static <T> T decoded(String peer, Supplier<T> decode) {
        try {
            return decode.get();
        } catch (DecodeException e) {
            throw new PeerUnavailableException("peer " + peer + " answered with something unreadable: " + e.getMessage(), e);
        }
    }

    private static Completion completion(PeerResponse r) {
        return r.status() == 404 ? Completion.UNKNOWN : Completion.DONE;
    }

    /**
     * A phase message: batched with the others bound for the same peer. Within a traced transaction ({@code parent}) the
     * call has a span of its own, whose context travels with the message.
     */
    private CompletableFuture<PeerResponse> phase(String peer, String operation, BranchId id, byte[] body, Tracing.Span parent) {
        long start = System.nanoTime();
        Tracing.Span call = parent == Tracing.Span.NONE ? Tracing.Span.NONE : tracing.call(parent, operation, peer, id);
        CompletableFuture<PeerResponse> answer = reported(peer, operation, start,
                batcher.send(peer, operation, body, call.traceparent()).thenApply(r -> check(peer, operation, seen(peer, r))));
        if (call != Tracing.Span.NONE) {
            answer.whenComplete((r, e) -> call.end(e == null ? null : Futures.unwrap(e)));
        }
        return answer;
    }

    private CompletableFuture<PeerResponse> call(String peer, String operation, byte[] body) {
        return call(peer, operation, body, names.get(peer));
    }

    private CompletableFuture<PeerResponse> call(String peer, String operation, byte[] body, String recipient) {
        long start = System.nanoTime();
        CompletableFuture<PeerResponse> sent;
        try {
            sent = transport.sendAsync(URI.create(peer), new PeerRequest(self, operation, body, recipient), executor);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e); // a PeerLink call fails through its future, never by throwing
        }
        return reported(peer, operation, start, sent.thenApply(r -> check(peer, operation, seen(peer, r))));
    }

    /** Forgets the name of a peer that answered "misaddressed" (another node there now): the next hello learns it. */
    private PeerResponse seen(String peer, PeerResponse r) {
        if (r.status() == 401 && detail(r).startsWith(PeerAuth.MISADDRESSED)) {
            names.remove(peer);
        }
        return r;
    }

    /** Where the spans of calls to peers go; {@link Tracing#NONE} by default. */
    public void tracing(Tracing t) {
        this.tracing = t;
    }

    /** Where calls to peers are reported (metrics); {@link Telemetry#NONE} by default. */
    public void telemetry(Telemetry t) {
        this.telemetry = t;
    }

    private CompletableFuture<PeerResponse> reported(String peer, String operation, long start, CompletableFuture<PeerResponse> f) {
        Telemetry t = telemetry;
        if (t != Telemetry.NONE) {
            f.whenComplete((r, e) -> t.peerCall(peer, operation, System.nanoTime() - start, e == null ? null : Futures.unwrap(e)));
        }
        return f;
    }

    /**
     * Maps every non-success status to an exception, except 404 "unknown branch", which second-phase
     * calls turn into {@link Completion#UNKNOWN}.
     */
    static PeerResponse check(String peer, String operation, PeerResponse r) {
        int s = r.status();
        if (s == 200 || (s == 404 && !PeerProtocol.HELLO.equals(operation) && "unknown branch".equals(field(r, "error")))) {
            return r;
        }
        String error = field(r, "error");
        String detail = detail(r);
        String where = "peer " + peer + " (" + operation + "): ";
        switch (s) {
            case 409:
                if ("conflict".equals(error)) {
                    throw new ConflictException(detail);
                }
                if (PeerProtocol.HEURISTIC_COMMIT.equals(error) || PeerProtocol.HEURISTIC_ROLLBACK.equals(error)) {
                    throw new HeuristicOutcome(PeerProtocol.HEURISTIC_COMMIT.equals(error), where + detail);
                }
                throw new IllegalStateException(where + detail);
            case 503:
                if ("lock wait timeout".equals(error)) {
                    throw new LockWaitTimeoutException(detail);
                }
                if (PeerProtocol.PROMISED.equals(error)) {
                    String after = field(r, "retryAfterMillis");
                    throw new PromiseRefusalException(detail, after == null ? 0 : Long.parseLong(after));
                }
                if ("not ready".equals(error)) {
                    throw new NotReadyException(where + detail);
                }
                throw new PeerUnavailableException(where + detail);
            case 401:
                if (detail.startsWith(PeerAuth.MISADDRESSED)) {
                    throw new PeerRefusedException(where + detail);
                }
                if (detail.startsWith(PeerAuth.REPLAYED)) {
                    // Our secret is right: a copy of this very request reached the peer first (a network that
                    // delivers twice), and was handled there. What it did is unknown here, as after a timeout.
                    throw new PeerUnavailableException(where + detail + ": a copy of this request reached the peer first"
                            + " (delivered twice by the network); its outcome is unknown here");
                }
                throw new PeerRefusedException(where + "refused our authentication: " + detail
                        + " (all nodes must share quarkus.level-2pc.cluster-secret)");
            case 403:
            case 412:
                throw new PeerRefusedException(where + detail);
            default:
                if (s >= 500) {
                    throw new PeerUnavailableException(where + "HTTP " + s + ": " + detail);
                }
                throw new Level2pcException(where + "refused the request, HTTP " + s + ": " + detail);
        }
    }

    private static String field(PeerResponse r, String name) {
        try {
            JsonNode v = JSON.readTree(r.body()).path(name);
            return v.isMissingNode() || v.isNull() ? null : v.asText();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String detail(PeerResponse r) {
        String d = field(r, "detail");
        return d != null ? d : new String(r.body(), StandardCharsets.UTF_8);
    }
}
