package io.quarkiverse.level2pc;

import java.util.Map;

/**
 * A view of a {@link ReplicatedDB} whose values are all of one type ({@link ReplicatedDB#typed}), encoded by a
 * {@link ValueCodec} (JSON with the application's {@code ObjectMapper} unless one is given). Every method behaves as
 * the database's method of the same name (transactions, versions, conditional writes); keys are UTF-8.
 *
 * <pre>{@code
 * TypedDB<Account> accounts = db.typed(Account.class);
 * accounts.put("ann", new Account("ann", 10));
 * Versioned<Account> a = accounts.getVersioned("ann");
 * accounts.replace("ann", a.version(), a.value().credit(5));
 * TypedDB<List<Order>> orders = db.typed(new TypeReference<List<Order>>() { });
 * }</pre>
 */
public interface TypedDB<T> {

    /** The database this view reads and writes. */
    ReplicatedDB database();

    T get(String key);

    Versioned<T> getVersioned(String key);

    void put(String key, T value);

    boolean putIfAbsent(String key, T value);

    boolean replace(String key, String expectedVersion, T value);

    void delete(String key);

    boolean delete(String key, String expectedVersion);

    /**
     * The entries of {@code range} walked as {@code scan} says, decoded, in that order (a map whose iteration order
     * is the scan's): read into memory, so give the scan a limit for large ranges.
     */
    Map<String, T> scan(Range range, Scan scan);
}
