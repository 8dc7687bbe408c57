package io.quarkiverse.level2pc.it;


import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The bank part of the demo app's HTTP contract. */
@Path("/bank")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class BankResource {

    public record Balance(Long balance) {
    }

    public record TransferRequest(String from, String to, Long amount) {
    }

    /** The two accounts after a transfer, in this order ({@code Map.of} would print them in a random one). */
    public record TransferResult(Bank.Account from, Bank.Account to) {
    }

    @Inject
    Bank bank;

    @PUT
    @Path("accounts/{id}")
    public Response open(@PathParam("id") String id, Balance body) {
        if (body == null || body.balance() == null) {
            throw new BadRequest("bad account", "PUT /bank/accounts/{id} takes {\"balance\":N}");
        }
        if (body.balance() < 0) {
            throw new BadRequest("bad account", "balance must not be negative, got " + body.balance());
        }
        bank.setBalance(id, body.balance());
        return Response.noContent().build();
    }

    @GET
    @Path("accounts/{id}")
    public Response account(@PathParam("id") String id) {
        Bank.Account a = bank.account(id);
        if (a == null) {
            return ApiError.response(Response.Status.NOT_FOUND, "not found", "no account '" + id + "'");
        }
        return Response.ok(a).build();
    }

    @POST
    @Path("transfer")
    public TransferResult transfer(TransferRequest t) {
        if (t == null || t.from() == null || t.to() == null || t.amount() == null) {
            throw new BadRequest("bad transfer", "POST /bank/transfer takes {\"from\":..,\"to\":..,\"amount\":N}");
        }
        if (t.amount() <= 0) {
            throw new BadRequest("bad transfer", "amount must be positive, got " + t.amount());
        }
        if (t.from().equals(t.to())) {
            throw new BadRequest("bad transfer", "from and to are the same account '" + t.from() + "'");
        }
        Bank.Account[] after = bank.transfer(t.from(), t.to(), t.amount());
        return new TransferResult(after[0], after[1]);
    }

    @GET
    @Path("total")
    public Bank.Total total() {
        return bank.total();
    }
}
