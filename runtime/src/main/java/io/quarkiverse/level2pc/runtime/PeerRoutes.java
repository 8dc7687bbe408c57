package io.quarkiverse.level2pc.runtime;

import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerEndpoint;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Serves the peer protocol on the application's HTTP port, under {@value PeerProtocol#PATH_PREFIX}:
 * body limited to {@code max-message-size} (413), cluster name and protocol version checked (412),
 * every call authenticated with the cluster secret (401; without a configured secret every call is
 * refused; missing or stale authentication headers are refused before the body is read, and bodies over
 * 64 KiB share a budget of 4 x {@code max-message-size} while they are read and handled, beyond which
 * they are refused with 503 before they are read), then handed to the node's {@link PeerEndpoint}: on the event loop that received it for the phase
 * operations (they never block), on the peer workers for the others.
 */
@Singleton
public class PeerRoutes {

    @Inject
    Level2pcConfig config;
    @Inject
    Level2pcNode node;

    void register(@Observes Router router, Vertx vertx) {
        PeerAuth auth = config.clusterSecret().map(s -> new PeerAuth(s, config.authWindow(), Clock.systemUTC())).orElse(null);
        // Peer calls get their own worker pool: application requests blocked on a key (waiting for a
        // commit that arrives as a peer call) must never starve the peer calls that release it.
        WorkerExecutor workers = vertx.createSharedWorkerExecutor("level-2pc-peer", PEER_WORKERS);
        long limit = config.maxMessageSize().asLongValue();
        bodies = new BodyBudget(4 * limit);
        // Only binary bodies: a form body would go through Vert.x's form decoder (and its limits) first.
        router.route(PeerProtocol.PATH_PREFIX + "*").handler(ctx -> {
            String type = ctx.request().getHeader("Content-Type");
            if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("application/octet-stream")) {
                reply(ctx, PeerResponse.error(415, "unsupported media type",
                        "peer calls carry application/octet-stream, not " + type));
                return;
            }
            ctx.next();
        });
        // What can be refused without the body is refused before it is read, and the connection closed, so
        // that unauthenticated senders cannot make the node buffer and hash large bodies.
        router.route(PeerProtocol.PATH_PREFIX + "*").handler(ctx -> {
            if (ctx.request().method() != HttpMethod.POST) {
                reply(ctx, PeerResponse.error(405, "method not allowed", "peer calls are POST requests"));
                return;
            }
            String why = auth == null ? CLOSED : auth.precheck(ctx.request()::getHeader);
            long size = bodySize(ctx.request().getHeader("Content-Length"), limit);
            if (why != null) {
                refuseUnread(ctx, PeerResponse.error(401, "unauthorized", why), size);
                return;
            }
            // A body is authenticated only once it has been read and hashed: large ones share a budget, so that
            // forged headers cannot make the node hold many large bodies at once (small ones always pass).
            if (size > SMALL_BODY && !bodies.reserve(size)) {
                refuseUnread(ctx, PeerResponse.error(503, "busy", "node '" + config.nodeName() + "' is already reading "
                        + bodies.inFlight() + " bytes of large peer request bodies, its budget (4 x"
                        + " quarkus.level-2pc.max-message-size); retry"), size);
                return;
            }
            if (size > SMALL_BODY) {
                AtomicBoolean released = new AtomicBoolean();
                Runnable release = () -> {
                    if (released.compareAndSet(false, true)) {
                        bodies.release(size);
                    }
                };
                ctx.addEndHandler(ar -> release.run());
                ctx.response().closeHandler(v -> release.run());
            }
            ctx.next();
        });
        router.route(PeerProtocol.PATH_PREFIX + "*")
                .handler(BodyHandler.create(false).setBodyLimit(limit))
                .failureHandler(ctx -> {
                    if (ctx.statusCode() == 413 && !ctx.response().ended()) {
                        reply(ctx, PeerResponse.error(413, "too large", "the request body is larger than quarkus.level-2pc.max-message-size ("
                                + limit + " bytes) of node '" + config.nodeName() + "'"));
                    } else {
                        ctx.next();
                    }
                });
        // The phase operations never block (the node waits for locks and syncs without a thread): they run on
        // the event loop that received them. The others (reading the store at length, a transaction manager's
        // log) run on the peer workers.
        router.route(PeerProtocol.PATH_PREFIX + ":operation").handler(ctx -> {
            if (PeerEndpoint.isBlocking(ctx.pathParam("operation"))) {
                if (blockingQueued.incrementAndGet() > MAX_QUEUED_BLOCKING) {
                    blockingQueued.decrementAndGet();
                    reply(ctx, PeerResponse.error(503, "busy", "node '" + config.nodeName() + "' has " + MAX_QUEUED_BLOCKING
                            + " peer calls waiting for its peer workers already; retry"));
                    return;
                }
                workers.executeBlocking(() -> {
                    try {
                        handle(ctx, auth);
                    } finally {
                        blockingQueued.decrementAndGet();
                    }
                    return null;
                }, false).onFailure(ctx::fail);
            } else {
                handle(ctx, auth);
            }
        });
    }

    /** Bodies up to this size need no share of the budget (peer messages of ordinary transactions). */
    static final long SMALL_BODY = 64 * 1024;

    private volatile BodyBudget bodies;

    /** The size a request's body may have: its Content-Length, or the limit when it has none (chunked). */
    static long bodySize(String contentLength, long limit) {
        if (contentLength == null) {
            return limit;
        }
        try {
            return Math.min(Math.max(0, Long.parseLong(contentLength.trim())), limit);
        } catch (NumberFormatException e) {
            return limit;
        }
    }

    /** Bytes of large peer request bodies being read or handled at once, up to a budget. */
    static final class BodyBudget {
        private final long budget;
        private final AtomicLong inFlight = new AtomicLong();

        BodyBudget(long budget) {
            this.budget = budget;
        }

        boolean reserve(long size) {
            if (inFlight.addAndGet(size) > budget) {
                inFlight.addAndGet(-size);
                return false;
            }
            return true;
        }

        void release(long size) {
            inFlight.addAndGet(-size);
        }

        long inFlight() {
            return inFlight.get();
        }
    }

    private static final String CLOSED = "peer endpoints are closed: quarkus.level-2pc.cluster-secret is not set on this node";

    /** Workers for the peer operations that may block (recover, outcome, catch-up, ...): rare, and short. */
    static final int PEER_WORKERS = 16;
    /** How many of those may wait for a worker; more are refused with 503 busy. */
    static final int MAX_QUEUED_BLOCKING = 8 * PEER_WORKERS;

    private final AtomicInteger blockingQueued = new AtomicInteger();

    private void handle(RoutingContext ctx, PeerAuth auth) {
        // Not POST, no secret here, missing headers, a stale timestamp: refused before the body was read.
        String cluster = ctx.request().getHeader(PeerProtocol.HEADER_CLUSTER);
        String protocol = ctx.request().getHeader(PeerProtocol.HEADER_PROTOCOL);
        Buffer raw = ctx.body().buffer();
        byte[] body = raw == null ? new byte[0] : raw.getBytes();
        String why = auth.verify("POST", ctx.request().path(), ctx.request()::getHeader, body, config.nodeName());
        if (why != null) {
            reply(ctx, PeerResponse.error(401, "unauthorized", why));
            return;
        }
        // From here on every answer is signed for this very request (its nonce): the caller trusts no other.
        String nonce = ctx.request().getHeader(PeerProtocol.HEADER_NONCE);
        if (!config.clusterName().equals(cluster)) {
            signed(ctx, auth, nonce, PeerResponse.error(412, "other cluster",
                    "this node belongs to cluster '" + config.clusterName() + "', the caller to '" + cluster + "'"));
            return;
        }
        if (!Integer.toString(PeerProtocol.VERSION).equals(protocol)) {
            signed(ctx, auth, nonce, PeerResponse.error(412, "other protocol version",
                    "this node speaks peer protocol " + PeerProtocol.VERSION + ", the caller " + protocol));
            return;
        }
        String sender = ctx.request().getHeader(PeerProtocol.HEADER_NODE);
        PeerEndpoint endpoint = node.endpoint();
        if (endpoint == null) {
            signed(ctx, auth, nonce, PeerResponse.error(503, "not ready", "node '" + config.nodeName() + "' is not open yet"));
            return;
        }
        endpoint.handle(new PeerRequest(sender, ctx.pathParam("operation"), body)).whenComplete((r, e) -> signed(ctx, auth,
                nonce, e == null ? r : PeerResponse.error(500, "internal error", String.valueOf(e.getMessage()))));
    }

    /** {@link #reply} with the answer's signature for the request with {@code nonce}. */
    private static void signed(RoutingContext ctx, PeerAuth auth, String nonce, PeerResponse r) {
        ctx.response().putHeader(PeerProtocol.HEADER_RESPONSE_SIGNATURE, auth.signResponse(nonce, r.status(), r.body()));
        reply(ctx, r);
    }

    /**
     * Refuses a request before its body is read, and closes the connection. Vert.x would otherwise read (and
     * throw away) the rest of the body to keep the connection usable, which is the cost an unauthenticated
     * flood of large bodies must not have: a body that may be large ({@code size} over {@link #SMALL_BODY}) is
     * not waited for, its connection is closed once the answer is written (the sender may then see a reset
     * rather than the answer). A small one is in the receive buffer already: read, the answer arrives whole.
     */
    private static void refuseUnread(RoutingContext ctx, PeerResponse r, long size) {
        ctx.response().putHeader("Connection", "close");
        reply(ctx, r);
        if (size > SMALL_BODY) {
            ctx.request().connection().close();
        }
    }

    private static void reply(RoutingContext ctx, PeerResponse r) {
        boolean json = r.status() != 200 || (r.body().length > 0 && r.body()[0] == '{');
        ctx.response().setStatusCode(r.status())
                .putHeader("Content-Type", json ? "application/json" : "application/octet-stream")
                .end(Buffer.buffer(r.body()));
    }
}
