package io.quarkiverse.level2pc.it;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /ping} answers {@code pong}: a trivial endpoint of the same application, on the same
 * (worker) threads as {@code GET /kv/{key}}, so that the benchmark can tell the cost of a read from
 * the cost of serving any request.
 */
@Path("/ping")
public class PingResource {

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String ping() {
        return "pong";
    }
}
