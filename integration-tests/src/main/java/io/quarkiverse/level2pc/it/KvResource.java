package io.quarkiverse.level2pc.it;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;

/** The key-value part of the demo app's HTTP contract. */
@Path("/kv")
public class KvResource {

    /** One operation of {@code POST /kv/batch}. */
    public record Op(String op, String key, String value) {
    }

    @Inject
    ReplicatedDB db;

    // Single-key operations use the non-blocking API: they run on the event loop that received the request,
    // without a hand-off to a worker thread (each write is its own replicated transaction either way).

    @PUT
    @Path("{key}")
    @Consumes(MediaType.WILDCARD)
    public CompletionStage<Response> put(@PathParam("key") String key, String body) {
        if (body == null) {
            throw new BadRequest("missing body", "PUT /kv/{key} takes the value as a text body");
        }
        return db.async().put(key, body).thenApply(v -> Response.noContent().build());
    }

    @GET
    @Path("{key}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<Response> get(@PathParam("key") String key) {
        return db.async().get(key).thenApply(v -> v == null
                ? ApiError.response(Response.Status.NOT_FOUND, "not found", "no key '" + key + "'")
                : Response.ok(v, MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8")).build());
    }

    @DELETE
    @Path("{key}")
    public CompletionStage<Response> delete(@PathParam("key") String key) {
        return db.async().delete(key).thenApply(v -> Response.noContent().build());
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, String> scan(@QueryParam("prefix") String prefix) {
        Map<String, String> result = new LinkedHashMap<>();
        try (KeyValueIterator it = db.scan(prefix == null ? Range.all() : Range.prefix(prefix))) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                result.put(kv.keyAsString(), kv.valueAsString());
            }
        }
        return result;
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
