package io.quarkiverse.level2pc.it;

import jakarta.transaction.RollbackException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;

/** Maps every failure to a JSON error with a fitting status. */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response badRequest(BadRequest e) {
        return ApiError.response(Response.Status.BAD_REQUEST, e.error(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response badArgument(IllegalArgumentException e) {
        return ApiError.response(Response.Status.BAD_REQUEST, "bad request", e.getMessage());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        return ApiError.response(Response.Status.BAD_REQUEST, "malformed JSON", e.getOriginalMessage());
    }

    /** More specific than JsonProcessingException, so it beats Quarkus' built-in mapper (empty 400 in prod). */
    @ServerExceptionMapper
    public Response badJsonInput(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response badJsonSyntax(com.fasterxml.jackson.core.JsonParseException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response notFound(Bank.NotFound e) {
        return ApiError.response(Response.Status.NOT_FOUND, "not found", e.getMessage());
    }

    @ServerExceptionMapper
    public Response insufficientFunds(Bank.InsufficientFunds e) {
        return ApiError.response(422, "insufficient funds", e.getMessage());
    }

    @ServerExceptionMapper
    public Response conflict(ConflictException e) {
        return ApiError.response(Response.Status.CONFLICT, "conflict", e.getMessage());
    }

    /** A {@code @Transactional} method whose commit failed: a conflict is 409, anything else 500. */
    @ServerExceptionMapper
    public Response rolledBack(RollbackException e) {
        ConflictException c = ConflictException.find(e);
        if (c != null) {
            return conflict(c);
        }
        PeerUnavailableException p = io.quarkiverse.level2pc.Level2pcExceptions.find(e, PeerUnavailableException.class);
        if (p != null) {
            return peerUnavailable(p);
        }
        LockWaitTimeoutException l = io.quarkiverse.level2pc.Level2pcExceptions.find(e, LockWaitTimeoutException.class);
        if (l != null) {
            return lockWait(l);
        }
        LOG.warn("transaction rolled back", e);
        return ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, "rolled back", e.getMessage());
    }

    @ServerExceptionMapper
    public Response lockWait(LockWaitTimeoutException e) {
        return ApiError.response(Response.Status.SERVICE_UNAVAILABLE, "lock wait timeout", e.getMessage());
    }

    @ServerExceptionMapper
    public Response notReady(NotReadyException e) {
        return ApiError.response(Response.Status.SERVICE_UNAVAILABLE, "not ready", e.getMessage());
    }

    @ServerExceptionMapper
    public Response peerUnavailable(PeerUnavailableException e) {
        return ApiError.response(Response.Status.SERVICE_UNAVAILABLE, "peer unavailable", e.getMessage());
    }

    @ServerExceptionMapper
    public Response level2pc(Level2pcException e) {
        LOG.error("level-2pc failure", e);
        return ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, "store failure", e.getMessage());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        JsonProcessingException json = io.quarkiverse.level2pc.Level2pcExceptions.find(e, JsonProcessingException.class);
        if (status == 400 && json != null) {
            return badJson(json);
        }
        return ApiError.response(status, Response.Status.fromStatusCode(status) == null ? "error"
                : Response.Status.fromStatusCode(status).getReasonPhrase().toLowerCase(), e.getMessage());
    }
}
