package io.quarkiverse.level2pc.it;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Accounts live in their own named database, {@code bank}. A transfer is a {@code @Transactional}
 * read-modify-write of both accounts; a conflict with a concurrent transfer surfaces at commit.
 */
@ApplicationScoped
public class Bank {

    public record Account(String id, long balance) {
    }

    public record Total(long accounts, long total) {
    }

    /** Stored form of an account: read back as JSON by Jackson, so registered for reflection (native image). */
    @RegisterForReflection
    public record Stored(long balance) {
    }

    @Inject
    @Database("bank")
    ReplicatedDB accounts;

    public void setBalance(String id, long balance) {
        accounts.put(id, new Stored(balance));
    }

    public Account account(String id) {
        Stored s = accounts.get(id, Stored.class);
        return s == null ? null : new Account(id, s.balance());
    }

    /**
     * One attempt: a conflict with a concurrent transfer surfaces from the commit (mapped to 409, so a
     * client knows exactly which transfers took effect; retrying is its decision).
     */
    @Transactional
    public Account[] transfer(String from, String to, long amount) {
        Stored a = accounts.get(from, Stored.class);
        Stored b = accounts.get(to, Stored.class);
        if (a == null) {
            throw new NotFound("no account '" + from + "'");
        }
        if (b == null) {
            throw new NotFound("no account '" + to + "'");
        }
        if (a.balance() < amount) {
            throw new InsufficientFunds("account '" + from + "' holds " + a.balance() + ", cannot transfer " + amount);
        }
        Stored na = new Stored(a.balance() - amount);
        Stored nb = new Stored(b.balance() + amount);
        accounts.put(from, na);
        accounts.put(to, nb);
        return new Account[] { new Account(from, na.balance()), new Account(to, nb.balance()) };
    }

    /** Every account and their sum, from one consistent snapshot. */
    public Total total() {
        long n = 0;
        long sum = 0;
        try (KeyValueIterator it = accounts.scan(Range.all())) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                n++;
                sum += kv.valueAs(Stored.class).balance();
            }
        }
        return new Total(n, sum);
    }

    public static class NotFound extends RuntimeException {
        public NotFound(String message) {
            super(message);
        }
    }

    public static class InsufficientFunds extends RuntimeException {
        public InsufficientFunds(String message) {
            super(message);
        }
    }
}
