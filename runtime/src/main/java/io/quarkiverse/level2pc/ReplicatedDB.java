package io.quarkiverse.level2pc;

import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A replicated, transactional key-value database backed by the node's embedded LevelDB.
 *
 * <pre>{@code
 * @Inject ReplicatedDB db;                             // the default database
 * @Inject @Database("orders") ReplicatedDB orders;     // a named one
 *
 * @Transactional
 * void transfer(String from, String to, long amount) {
 *     Account a = db.get(from, Account.class);
 *     Account b = db.get(to, Account.class);
 *     db.put(from, a.debit(amount));
 *     db.put(to, b.credit(amount));
 * }
 * }</pre>
 *
 * <h2>Transactions</h2>
 * Inside a JTA transaction ({@code @Transactional}, {@code QuarkusTransaction}, a
 * {@code UserTransaction}) every call joins it: writes are buffered and become visible atomically at
 * commit, reads see the transaction's own writes first and are validated at commit (serializable,
 * optimistic: a conflict rolls the transaction back and surfaces as {@link ConflictException}, see
 * {@link ConflictException#find(Throwable)}). Outside a transaction each call runs in a transaction of
 * its own and throws {@link ConflictException} directly. A transaction committed in one phase (this
 * node is its only resource, as for every standalone call) waits for locks held by other committing
 * transactions instead of failing, bounded by {@code quarkus.level-2pc.lock-wait-timeout}, so on a single
 * node blind writes (no reads) never conflict. With peers, a prepare that meets a lock votes NO; a
 * standalone blind write is then retried with a jittered back-off for up to {@code lock-wait-timeout}
 * and throws {@link ConflictException} only if it keeps losing.
 *
 * <h2>Keys and values</h2>
 * Keys are byte strings ordered unsigned-lexicographically; {@code String} keys are UTF-8. Keys must
 * not be empty and are at most {@value #MAX_KEY_BYTES} bytes; values at most {@value #MAX_VALUE_BYTES}
 * bytes. Object values are encoded as JSON with the application's Jackson {@code ObjectMapper}.
 */
public interface ReplicatedDB {

    /** The largest key accepted, in bytes. */
    int MAX_KEY_BYTES = 16 * 1024;
    /** The largest value accepted, in bytes. */
    int MAX_VALUE_BYTES = 16 * 1024 * 1024;

    /** This database's name; {@code "<default>"} for the default database. */
    String name();

    /** The value of {@code key}, or {@code null} if absent. */
    byte[] get(byte[] key);

    /** The UTF-8 value of {@code key}, or {@code null} if absent. */
    String get(String key);

    /** The JSON value of {@code key} decoded as {@code type}, or {@code null} if absent. */
    <T> T get(String key, Class<T> type);

    void put(byte[] key, byte[] value);

    /** Stores {@code value} as UTF-8. */
    void put(String key, String value);

    /** Stores {@code value} encoded as JSON. */
    void put(String key, Object value);

    /** Removes {@code key}; removing an absent key is not an error. */
    void delete(byte[] key);

    void delete(String key);

    /**
     * Applies every operation that {@code ops} adds to the batch atomically: all of them or none. Inside
     * a JTA transaction the batch becomes part of it.
     */
    void batch(Consumer<Batch> ops);

    /**
     * An ordered cursor over the entries in {@code range}, read from one snapshot of committed data
     * (a committed transaction is seen entirely or not at all) merged with the current transaction's own
     * writes. Keys returned by a scan are not validated at commit (no phantom protection). Close it.
     */
    KeyValueIterator scan(Range range);

    /**
     * The non-blocking operations of this database, for code that must not block (event loops, reactive
     * REST methods): each write its own replicated transaction, never inside a JTA transaction.
     */
    AsyncReplicatedDB async();

    /** {@link #scan(Range)} as a stream; close the stream (try-with-resources) to release the snapshot. */
    Stream<KeyValue> stream(Range range);
}
