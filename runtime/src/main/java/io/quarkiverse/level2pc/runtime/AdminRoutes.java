package io.quarkiverse.level2pc.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.ManagementInterface;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Operator endpoints for transactions in doubt, under {@value #PREFIX}: on the Quarkus management interface when it
 * is enabled ({@code quarkus.management.enabled=true}), else on the application's HTTP port. A caller is let in when
 * Quarkus Security authenticated it with the role {@code quarkus.level-2pc.admin-role}, or, as the fallback, when it
 * sends the cluster secret ({@code Authorization: Bearer <quarkus.level-2pc.cluster-secret>}; use TLS: the secret
 * travels in the header). An authenticated caller without the role is refused (403).
 * <ul>
 * <li>{@code GET in-doubt}: the branches prepared here and not decided, oldest first, with their
 * coordinator and age, and the heuristic decisions on record;</li>
 * <li>{@code POST in-doubt/<branch>/commit} or {@code .../rollback}: decide one by hand. This is a
 * heuristic decision: recorded durably, logged as an error, and reported to the coordinator if it
 * decided otherwise. Only for a coordinator that is lost for good.</li>
 * </ul>
 */
@Singleton
public class AdminRoutes {

    public static final String PREFIX = "/level-2pc/admin/";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Level2pcConfig config;
    @Inject
    Level2pcNode node;

    void register(@Observes Router router) {
        if (!onManagementInterface()) {
            routes(router);
        }
    }

    void registerOnManagementInterface(@Observes ManagementInterface management) {
        routes(management.router());
    }

    /** Whether the application enabled the management interface (a build-time property, read as it was built). */
    static boolean onManagementInterface() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.management.enabled", Boolean.class).orElse(false);
    }

    private void routes(Router router) {
        byte[] secret = config.clusterSecret().map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        router.route(PREFIX + "*").blockingHandler(ctx -> {
            SecurityIdentity identity = identity(ctx);
            if (identity != null && !identity.isAnonymous()) {
                if (identity.hasRole(config.adminRole())) {
                    ctx.next();
                } else {
                    error(ctx, 403, "forbidden", "'" + identity.getPrincipal().getName() + "' does not have the role '"
                            + config.adminRole() + "' (quarkus.level-2pc.admin-role)");
                }
                return;
            }
            String why = unauthorized(secret, ctx.request().getHeader("Authorization"));
            if (why != null) {
                ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"level-2pc\"");
                error(ctx, 401, "unauthorized", why + "; or authenticate with the role '" + config.adminRole() + "'");
                return;
            }
            ctx.next();
        }, false);
        router.route(HttpMethod.GET, PREFIX + "in-doubt").blockingHandler(this::list, false);
        router.route(HttpMethod.POST, PREFIX + "in-doubt/:branch/:decision").blockingHandler(this::decide, false);
        router.route(PREFIX + "*").handler(ctx -> error(ctx, 404, "not found",
                "admin endpoints: GET " + PREFIX + "in-doubt, POST " + PREFIX + "in-doubt/<branch>/commit|rollback"));
    }

    /** Who Quarkus Security says the caller is ({@code null} without Quarkus Security or a mechanism for this port). */
    private static SecurityIdentity identity(RoutingContext ctx) {
        if (ctx.user() instanceof QuarkusHttpUser user) {
            return user.getSecurityIdentity();
        }
        // Authentication on demand (quarkus.http.auth.proactive=false): ask for it now.
        Uni<SecurityIdentity> deferred = ctx.get(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        if (deferred == null) {
            return null;
        }
        try {
            return deferred.await().atMost(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            return null; // failed authentication: the caller may still send the cluster secret
        }
    }

    static String unauthorized(byte[] secret, String header) {
        if (secret == null) {
            return "admin endpoints are closed: quarkus.level-2pc.cluster-secret is not set on this node";
        }
        if (header == null || !header.startsWith("Bearer ")) {
            return "send the cluster secret as 'Authorization: Bearer <quarkus.level-2pc.cluster-secret>'";
        }
        byte[] given = header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, secret) ? null : "wrong cluster secret";
    }

    private void list(RoutingContext ctx) {
        Node n = node.nodeIfOpen();
        if (n == null) {
            error(ctx, 503, "not ready", "the store of node '" + config.nodeName() + "' is not open");
            return;
        }
        LocalNode local = n.local();
        long now = System.currentTimeMillis();
        ObjectNode body = JSON.createObjectNode();
        body.put("node", config.nodeName());
        body.put("inDoubtAfterMillis", config.inDoubtAfter().toMillis());
        ArrayNode list = body.putArray("inDoubt");
        for (LocalNode.InDoubt d : local.inDoubt()) {
            list.addObject()
                    .put("branch", d.branch().toString())
                    .put("coordinator", d.coordinator())
                    .put("ageMillis", d.ageMillis(now))
                    .put("writes", d.writes());
        }
        ArrayNode heuristics = body.putArray("heuristics");
        for (Map.Entry<BranchId, Outcome> h : n.heuristics().heuristics().entrySet()) {
            heuristics.addObject().put("branch", h.getKey().toString()).put("outcome", h.getValue().name());
        }
        json(ctx, 200, body);
    }

    private void decide(RoutingContext ctx) {
        String decision = ctx.pathParam("decision");
        if (!"commit".equals(decision) && !"rollback".equals(decision)) {
            error(ctx, 404, "not found", "the decision is 'commit' or 'rollback', not '" + decision + "'");
            return;
        }
        BranchId id;
        try {
            id = BranchId.parse(ctx.pathParam("branch"));
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "malformed branch", e.getMessage() + " (copy it from GET " + PREFIX + "in-doubt)");
            return;
        }
        Node n = node.nodeIfOpen();
        if (n == null) {
            error(ctx, 503, "not ready", "the store of node '" + config.nodeName() + "' is not open");
            return;
        }
        try {
            Futures.join(n.heuristics().decideHeuristically(id, "commit".equals(decision)));
        } catch (IllegalArgumentException e) {
            error(ctx, 404, "not in doubt", e.getMessage());
            return;
        } catch (RuntimeException e) {
            error(ctx, 409, "not decided", "branch " + id + " could not be decided: " + e.getMessage());
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("node", config.nodeName());
        body.put("branch", id.toString());
        body.put("outcome", "commit".equals(decision) ? "COMMITTED" : "ROLLED_BACK");
        body.put("heuristic", true);
        json(ctx, 200, body);
    }

    private static void error(RoutingContext ctx, int status, String error, String detail) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", error);
        body.put("detail", detail);
        json(ctx, status, body);
    }

    private static void json(RoutingContext ctx, int status, ObjectNode body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }
}
