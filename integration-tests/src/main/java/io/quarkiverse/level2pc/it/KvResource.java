package io.quarkiverse.level2pc.it;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.smallrye.mutiny.Multi;

/** The key-value part of the demo app's HTTP contract. */
@Path("/kv")
public class KvResource {

    /** One operation of {@code POST /kv/batch}. */
    public record Op(String op, String key, String value) {
    }

    @Inject
    ReplicatedDB db;
    @Inject
    ObjectMapper json;

    // Single-key operations use the non-blocking API: they run on the event loop that received the request,
    // without a hand-off to a worker thread (each write is its own replicated transaction either way).

    /** The most entries {@code GET /kv} answers when the request gives no {@code limit}, and the most it may give. */
    public static final int MAX_ENTRIES = 1000;

    @PUT
    @Path("{key}")
    @Consumes(MediaType.WILDCARD)
    public CompletionStage<Response> put(@PathParam("key") String key, @HeaderParam("If-Match") String ifMatch,
            @HeaderParam("If-None-Match") String ifNoneMatch, String body) {
        if (body == null) {
            throw new BadRequest("missing body", "PUT /kv/{key} takes the value as a text body");
        }
        if (ifMatch != null && ifNoneMatch != null) {
            throw new BadRequest("bad precondition", "give If-Match or If-None-Match, not both");
        }
        if (ifNoneMatch != null) {
            if (!"*".equals(ifNoneMatch.trim())) {
                throw new BadRequest("bad precondition", "PUT /kv/{key} takes If-None-Match: * (create only), got '"
                        + ifNoneMatch + "'");
            }
            return db.async().putIfAbsent(key, body).thenApply(created -> created ? Response.noContent().build()
                    : preconditionFailed("key '" + key + "' exists (If-None-Match: *)"));
        }
        if (ifMatch != null) {
            return ifMatch(key, ifMatch, version -> db.async().replace(key, version, body));
        }
        return db.async().put(key, body).thenApply(v -> Response.noContent().build());
    }

    @GET
    @Path("{key}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<Response> get(@PathParam("key") String key, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return db.async().getVersioned(key).thenApply(v -> {
            if (v == null) {
                return ApiError.response(Response.Status.NOT_FOUND, "not found", "no key '" + key + "'");
            }
            EntityTag tag = new EntityTag(v.version());
            if (ifNoneMatch != null && EntityTags.matches(ifNoneMatch, v.version())) {
                return Response.notModified(tag).build();
            }
            return Response.ok(v.value(), MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8")).tag(tag).build();
        });
    }

    @DELETE
    @Path("{key}")
    public CompletionStage<Response> delete(@PathParam("key") String key, @HeaderParam("If-Match") String ifMatch) {
        if (ifMatch != null) {
            return ifMatch(key, ifMatch, version -> db.async().delete(key, version));
        }
        return db.async().delete(key).thenApply(v -> Response.noContent().build());
    }

    /**
     * A write made only if the key's current version is one of {@code ifMatch}'s entity tags (or the key exists, for
     * {@code *}): 204, else 412. The write itself checks the version again on every node (compare-and-set), so a
     * write that slips in between the read and it makes it 412 too.
     */
    private CompletionStage<Response> ifMatch(String key, String ifMatch, Function<String, CompletionStage<Boolean>> write) {
        return db.async().getVersioned(key).thenCompose(current -> {
            if (current == null) {
                return CompletableFuture.completedFuture(preconditionFailed("no key '" + key + "' (If-Match: " + ifMatch + ")"));
            }
            if (!EntityTags.matches(ifMatch, current.version())) {
                return CompletableFuture.completedFuture(preconditionFailed("key '" + key + "' has version \""
                        + current.version() + "\", not " + ifMatch));
            }
            return write.apply(current.version()).thenApply(done -> done ? Response.noContent().build()
                    : preconditionFailed("key '" + key + "' changed before the write (If-Match: " + ifMatch + ")"));
        });
    }

    private static Response preconditionFailed(String detail) {
        return ApiError.response(Response.Status.PRECONDITION_FAILED, "precondition failed", detail);
    }

    /**
     * The entries of the prefix in key order (descending with {@code reverse=true}), only keys after {@code after}
     * (before it, reversed), at most {@code limit} ({@value #MAX_ENTRIES} when not given, and at most that).
     * Headers: {@code X-Result-Limit}, the limit applied; {@code X-Result-Truncated}, whether more entries follow.
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response scan(@QueryParam("prefix") String prefix, @QueryParam("limit") String limitParam,
            @QueryParam("reverse") String reverseParam, @QueryParam("after") String after) {
        int limit = limit(limitParam);
        boolean reverse = flag("reverse", reverseParam);
        Scan scan = (reverse ? Scan.reverse() : Scan.forward()).limit(limit + 1);
        if (after != null) {
            scan = scan.after(after);
        }
        Map<String, String> result = new LinkedHashMap<>();
        boolean truncated = false;
        try (KeyValueIterator it = db.scan(prefix == null ? Range.all() : Range.prefix(prefix), scan)) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                if (result.size() == limit) {
                    truncated = true;
                    break;
                }
                result.put(kv.keyAsString(), kv.valueAsString());
            }
        }
        return Response.ok(result, MediaType.APPLICATION_JSON_TYPE).header("X-Result-Limit", limit)
                .header("X-Result-Truncated", truncated).build();
    }

    private static int limit(String param) {
        if (param == null) {
            return MAX_ENTRIES;
        }
        try {
            int n = Integer.parseInt(param.trim());
            if (n >= 1 && n <= MAX_ENTRIES) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequest("bad limit", "limit must be a whole number from 1 to " + MAX_ENTRIES + ", got '" + param + "'");
    }

    private static boolean flag(String name, String param) {
        if (param == null || param.equals("false")) {
            return false;
        }
        if (param.equals("true") || param.isEmpty()) {
            return true;
        }
        throw new BadRequest("bad " + name, name + " must be true or false, got '" + param + "'");
    }

    /**
     * Server-Sent Events: one event per committed change under the prefix that this node applies from now on,
     * written through any node: {@code event: put} or {@code event: del}, {@code data: {"key":..,"value":..,
     * "version":..}} ({@code value} only for {@code put}; {@code version} the {@code ETag} a read gives). A client
     * that falls more than 10,000 changes behind is disconnected; the stream ends when the node stops.
     */
    @GET
    @Path("changes")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> changes(@QueryParam("prefix") String prefix, @Context Sse sse) {
        return db.changes(prefix == null ? Range.all() : Range.prefix(prefix)).map(c -> {
            Map<String, String> data = new LinkedHashMap<>();
            data.put("key", c.keyAsString());
            if (!c.isDelete()) {
                data.put("value", c.valueAsString());
            }
            data.put("version", c.version());
            try {
                // Quarkus REST writes "event:" + name and "data:" + data; the leading space gives the usual
                // "event: put" / "data: {...}" (an SSE parser drops one space after the colon either way).
                return sse.newEventBuilder().name(c.isDelete() ? " del" : " put").data(" " + json.writeValueAsString(data)).build();
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot encode " + c, e);
            }
        });
    }

    /** Deletes every key with the prefix in one transaction: 200 {@code {"deleted":N}}. */
    @DELETE
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Long> deletePrefix(@QueryParam("prefix") String prefix) {
        if (prefix == null) {
            throw new BadRequest("missing prefix", "DELETE /kv takes ?prefix=<p> (every key starting with p; an empty"
                    + " prefix deletes every key)");
        }
        return Map.of("deleted", db.deleteRange(Range.prefix(prefix)));
    }

    @POST
    @Path("batch")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response batch(List<Op> ops) {
        if (ops == null) {
            throw new BadRequest("missing body", "POST /kv/batch takes a JSON array of {\"op\":\"put\"|\"del\",\"key\":..,\"value\":..}");
        }
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op == null || op.key() == null || op.key().isEmpty()) {
                throw new BadRequest("bad batch", "operation " + i + " has no key");
            }
            if (!"put".equals(op.op()) && !"del".equals(op.op())) {
                throw new BadRequest("bad batch", "operation " + i + " has op '" + op.op() + "'; expected 'put' or 'del'");
            }
            if ("put".equals(op.op()) && op.value() == null) {
                throw new BadRequest("bad batch", "operation " + i + " (put '" + op.key() + "') has no value");
            }
        }
        db.batch(b -> {
            for (Op op : ops) {
                if ("put".equals(op.op())) {
                    b.put(op.key(), op.value());
                } else {
                    b.delete(op.key());
                }
            }
        });
        return Response.noContent().build();
    }
}
