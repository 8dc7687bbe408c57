package io.quarkiverse.level2pc.transport;

import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkus.tls.TlsConfiguration;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.tracing.TracingPolicy;

/**
 * The default {@link PeerTransport}: HTTP/1.1 with keep-alive through the Vert.x HTTP client of the
 * application's Vert.x instance (non-blocking, on its event loops), every request signed by
 * {@link PeerAuth}. {@link #sendAsync} issues a request without occupying a thread while it is under
 * way, so a transaction's calls to all its peers cost no thread hand-off but the answer's; HTTPS
 * peers use the trust and key stores of the configured Quarkus TLS configuration. An answer larger than
 * {@code max-message-size} fails the call unread (see {@link AnswerLimit}).
 */
public final class VertxPeerTransport implements PeerTransport, AutoCloseable {

    /** Connections kept per peer: enough for one request in flight per concurrent transaction. */
    static final int MAX_CONNECTIONS_PER_PEER = 128;

    /** How many event loops the peer calls of one node are spread over. */
    static final int EVENT_LOOPS = 2;

    private final HttpClient http;
    private final Context[] contexts;
    private final AtomicInteger next = new AtomicInteger();
    private final PeerAuth auth;
    private final Duration timeout;
    private final String cluster;
    private final long maxAnswerBytes;

    /**
     * A transport whose answers may be as large as the default {@code max-message-size} (10 MiB).
     *
     * @param tls the TLS configuration for HTTPS peers, or {@code null} (the JVM's default trust)
     */
    public VertxPeerTransport(Vertx vertx, PeerAuth auth, String cluster, Duration connectTimeout, Duration requestTimeout,
            TlsConfiguration tls) {
        this(vertx, auth, cluster, connectTimeout, requestTimeout, tls, AnswerLimit.DEFAULT_BYTES);
    }

    /**
     * @param tls the TLS configuration for HTTPS peers, or {@code null} (the JVM's default trust)
     * @param maxAnswerBytes the largest answer body taken ({@code quarkus.level-2pc.max-message-size}); a larger
     *        one fails the call
     */
    public VertxPeerTransport(Vertx vertx, PeerAuth auth, String cluster, Duration connectTimeout, Duration requestTimeout,
            TlsConfiguration tls, long maxAnswerBytes) {
        this.maxAnswerBytes = AnswerLimit.checked(maxAnswerBytes);
        HttpClientOptions o = new HttpClientOptions()
                // No generic HTTP client span (nor its traceparent header): a traced message carries its own trace
                // context, signed, inside the body, and a heartbeat is not worth a trace a second.
                .setTracingPolicy(TracingPolicy.IGNORE)
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setKeepAlive(true)
                .setMaxPoolSize(MAX_CONNECTIONS_PER_PEER)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .setName("level-2pc-peers");
        if (tls != null) {
            if (tls.getTrustStoreOptions() != null) {
                o.setTrustOptions(tls.getTrustStoreOptions());
            }
            if (tls.getKeyStoreOptions() != null) {
                o.setKeyCertOptions(tls.getKeyStoreOptions());
            }
            o.setTrustAll(tls.isTrustAll());
            if (tls.getHostnameVerificationAlgorithm().map("NONE"::equalsIgnoreCase).orElse(false)) {
                o.setVerifyHost(false);
            }
        }
        this.http = vertx.createHttpClient(o);
        this.contexts = eventLoopContexts(vertx, EVENT_LOOPS);
        this.auth = auth;
        this.timeout = requestTimeout;
        this.cluster = cluster;
    }

    /**
     * {@code n} event-loop contexts the requests are spread over, through Vert.x' public API only: a thread that is
     * not Vert.x' gets a new event-loop context of its own from {@code getOrCreateContext()} (Vert.x assigns the
     * event loops of new contexts in turn), so each is made on a short-lived thread of its own.
     */
    private static Context[] eventLoopContexts(Vertx vertx, int n) {
        Context[] made = new Context[n];
        for (int i = 0; i < n; i++) {
            int slot = i;
            Thread t = new Thread(() -> made[slot] = vertx.getOrCreateContext(), "level-2pc-peer-context-" + i);
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating the peer client's event-loop contexts", e);
            }
            if (made[slot] == null || !made[slot].isEventLoopContext()) {
                throw new IllegalStateException("Vert.x gave no event-loop context to the peer client: " + made[slot]);
            }
        }
        return made;
    }

    @Override
    public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
        String path = PeerProtocol.PATH_PREFIX + request.operation();
        RequestOptions ro = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(peer.getHost())
                .setPort(peer.getPort())
                .setSsl("https".equals(peer.getScheme()))
                .setURI(path)
                .setTimeout(timeout.toMillis())
                .putHeader("Content-Type", "application/octet-stream")
                .putHeader(PeerProtocol.HEADER_CLUSTER, cluster)
                .putHeader(PeerProtocol.HEADER_PROTOCOL, Integer.toString(PeerProtocol.VERSION));
        Map<String, String> signed = auth.sign("POST", path, request.sender(), request.recipient(), request.body());
        for (Map.Entry<String, String> h : signed.entrySet()) {
            ro.putHeader(h.getKey(), h.getValue());
        }
        String nonce = signed.get(PeerProtocol.HEADER_NONCE);
        CompletableFuture<PeerResponse> result = new CompletableFuture<>();
        // The whole exchange runs on one event loop: chained from another thread, a step could attach its
        // handler after the event loop already delivered the response, and read an empty body.
        contexts[Math.floorMod(next.getAndIncrement(), contexts.length)].runOnContext(v -> http.request(ro)
                .compose(req -> req.send(Buffer.buffer(request.body())))
                .compose(resp -> bounded(resp, peer, request.operation()).map(b -> new PeerResponse(resp.statusCode(), b.getBytes()))
                        .map(r -> authentic(auth, peer, request.operation(), nonce, r,
                                resp.getHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE))))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        result.complete(ar.result());
                    } else {
                        result.completeExceptionally(unavailable(peer, request.operation(), ar.cause()));
                    }
                }));
        return result;
    }

    /**
     * The body of {@code resp}, unless it is larger than {@link #maxAnswerBytes}: then the request is reset, which
     * closes the connection (HTTP/1.1) so that the rest is never read, and the call fails naming the bound. Runs
     * on the exchange's event loop, where the response arrived, before any of its body is delivered.
     */
    private Future<Buffer> bounded(HttpClientResponse resp, URI peer, String operation) {
        long declared = AnswerLimit.declared(resp.getHeader(HttpHeaders.CONTENT_LENGTH));
        if (declared > maxAnswerBytes) {
            resp.request().reset();
            return Future.failedFuture(AnswerLimit.tooLarge(peer, operation, declared, false, maxAnswerBytes));
        }
        Promise<Buffer> body = Promise.promise();
        Buffer received = Buffer.buffer((int) Math.max(256, Math.min(declared, 1 << 20)));
        resp.exceptionHandler(body::tryFail);
        resp.handler(chunk -> {
            if (body.future().isComplete()) {
                return; // refused already: what is still on its way is dropped
            }
            long size = (long) received.length() + chunk.length();
            if (size > maxAnswerBytes) {
                body.fail(AnswerLimit.tooLarge(peer, operation, size, true, maxAnswerBytes));
                resp.request().reset();
                return;
            }
            received.appendBuffer(chunk);
        });
        resp.endHandler(v -> body.tryComplete(received));
        return body.future();
    }

    @Override
    public PeerResponse send(URI peer, PeerRequest request) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("a blocking peer call on a Vert.x event loop thread (" + Thread.currentThread().getName()
                    + "); call sendAsync there");
        }
        CompletableFuture<PeerResponse> f = sendAsync(peer, request, Runnable::run);
        try {
            // The request's own timeout fails the future first; this bound only guards against a lost callback.
            return f.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new PeerUnavailableException("peer " + peer + " did not answer " + request.operation() + " within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted while calling peer " + peer, e);
        }
    }

    /**
     * {@code r} if the caller may act on it: an answer it would take as a success must carry a valid signature
     * for the request with {@code nonce} (see {@link PeerAuth#verifyResponse}); else the peer counts as unavailable.
     */
    static PeerResponse authentic(PeerAuth auth, URI peer, String operation, String nonce, PeerResponse r, String signature) {
        String why = auth.verifyResponse(nonce, r.status(), signature, r.body());
        if (why != null) {
            throw new PeerUnavailableException("peer " + peer + " (" + operation + "): " + why);
        }
        return r;
    }

    /** The failure of a call, in the words {@link RestPeerTransport} uses (the coordinator's errors name the peer). */
    static PeerUnavailableException unavailable(URI peer, String operation, Throwable cause) {
        if (cause instanceof PeerUnavailableException p) {
            return p;
        }
        if (cause instanceof ConnectException) {
            return new PeerUnavailableException("peer " + peer + " is unreachable (" + operation + "): connection refused", cause);
        }
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            // Vert.x fails a request without an answer within its timeout with its own TimeoutException kinds.
            return new PeerUnavailableException("peer " + peer + " did not answer " + operation + " within the request timeout"
                    + " (quarkus.level-2pc.prepare-timeout): " + cause.getMessage(), cause);
        }
        return new PeerUnavailableException("peer " + peer + " is unreachable (" + operation + "): " + FailureText.describe(cause),
                cause);
    }

    @Override
    public void close() {
        http.close();
    }
}
