package io.quarkiverse.level2pc.it;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The JSON body of every error response: {@code {"error":"...","detail":"..."}}. */
public record ApiError(String error, String detail) {

    public static Response response(Response.Status status, String error, String detail) {
        return response(status.getStatusCode(), error, detail);
    }

    public static Response response(int status, String error, String detail) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(error, detail)).build();
    }
}
