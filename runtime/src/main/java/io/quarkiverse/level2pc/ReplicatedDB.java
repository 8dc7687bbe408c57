package io.quarkiverse.level2pc;

import java.util.Collection;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;

import io.smallrye.mutiny.Multi;

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
 *
 * <h2>Versions and conditional writes</h2>
 * Every committed write gives its key a new {@linkplain Versioned version}, the same on every node.
 * {@link #getVersioned} reads it with the value; {@link #putIfAbsent}, {@link #replace} and
 * {@link #delete(String, String)} write only if the key is absent, or still holds the version given, and say
 * whether they wrote. Such a write is validated on every node like a transaction's read: it cannot be lost
 * between the check and the write. Outside a transaction it is retried after a conflict (reading the key again)
 * for up to {@code lock-wait-timeout}; inside one its check is part of the transaction's reads.
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

    /**
     * The JSON value of {@code key} decoded as {@code type}, or {@code null} if absent. {@code String.class} gives
     * the value's UTF-8 text as it is (what {@link #put(String, String)} stored), not a JSON string.
     */
    <T> T get(String key, Class<T> type);

    /** The JSON value of {@code key} decoded as a generic type ({@code new TypeReference<List<Order>>() { }}), or {@code null}. */
    <T> T get(String key, TypeReference<T> type);

    /**
     * The value of {@code key} with its version, or {@code null} if absent. Inside a transaction a value it wrote
     * itself has a {@code null} version.
     */
    Versioned<byte[]> getVersioned(byte[] key);

    /** {@link #getVersioned(byte[])} of a UTF-8 key, with the value as UTF-8 text. */
    Versioned<String> getVersioned(String key);

    /** {@link #getVersioned(byte[])} of a UTF-8 key, with the JSON value decoded as {@code type}. */
    <T> Versioned<T> getVersioned(String key, Class<T> type);

    /** Whether {@code key} has a value (a read like {@link #get(byte[])}: validated at commit in a transaction). */
    boolean exists(byte[] key);

    boolean exists(String key);

    /**
     * The UTF-8 values of those of {@code keys} that have one, in the order of {@code keys}. Each key is read as
     * {@link #get(String)} reads it: inside a transaction the reads are validated together at commit; outside one
     * they are separate linearizable reads, not one snapshot (use a transaction for a consistent view).
     */
    Map<String, String> getAll(Collection<String> keys);

    void put(byte[] key, byte[] value);

    /** Stores {@code value} as UTF-8. */
    void put(String key, String value);

    /** Stores {@code value} encoded as JSON (a {@code String} as its UTF-8 text, as {@link #put(String, String)}). */
    void put(String key, Object value);

    /** Removes {@code key}; removing an absent key is not an error. */
    void delete(byte[] key);

    void delete(String key);

    /**
     * Stores {@code value} only if {@code key} is absent.
     *
     * @return whether it stored it ({@code false}: the key has a value, which is unchanged)
     */
    boolean putIfAbsent(byte[] key, byte[] value);

    /** {@link #putIfAbsent(byte[], byte[])} of UTF-8 text. */
    boolean putIfAbsent(String key, String value);

    /** {@link #putIfAbsent(byte[], byte[])} of {@code value} encoded as JSON. */
    boolean putIfAbsent(String key, Object value);

    /**
     * Stores {@code value} only if {@code key} holds version {@code expectedVersion} (from {@link #getVersioned}
     * or {@link KeyValue#version()}): compare-and-set.
     *
     * @return whether it stored it ({@code false}: the key is absent or holds another version, and is unchanged)
     * @throws IllegalArgumentException if {@code expectedVersion} is not a version this database gives out
     */
    boolean replace(byte[] key, String expectedVersion, byte[] value);

    /** {@link #replace(byte[], String, byte[])} with UTF-8 text. */
    boolean replace(String key, String expectedVersion, String value);

    /** {@link #replace(byte[], String, byte[])} with {@code value} encoded as JSON. */
    boolean replace(String key, String expectedVersion, Object value);

    /**
     * Removes {@code key} only if it holds version {@code expectedVersion}.
     *
     * @return whether it removed it ({@code false}: absent or another version)
     */
    boolean delete(byte[] key, String expectedVersion);

    boolean delete(String key, String expectedVersion);

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
     * {@link #scan(Range)} in {@code scan}'s direction, from after its start key, at most its limit of entries
     * (pagination: pass the last key of a page to {@link Scan#after} for the next).
     */
    KeyValueIterator scan(Range range, Scan scan);

    /**
     * The committed changes of keys in {@code range} that this node applies from the subscription on: puts and
     * deletes, made through any node, each once, in the order this node applied them (for one key, the order of
     * the commits), never one that did not commit. Nothing is replayed from before the subscription: to start
     * from a consistent state, subscribe, then scan, and skip changes whose version the scan already showed.
     * <p>
     * Delivered on Mutiny's worker pool. A subscriber that falls more than 10,000 changes behind fails with
     * Mutiny's {@code BackPressureFailure} (subscribe again, and scan to catch up). The stream completes when the
     * node stops. The same changes are fired as CDI events, see {@link Change}.
     */
    Multi<Change> changes(Range range);

    /** How many keys {@code range} holds, as a {@link #scan(Range)} of it would return. */
    long count(Range range);

    /**
     * Deletes every key in {@code range}, atomically: one transaction (inside a JTA transaction, part of it).
     * The keys found are validated like reads, so a key that another transaction changes meanwhile makes it read
     * the range again (outside a transaction, retried up to {@code lock-wait-timeout}); a key inserted into the
     * range concurrently may survive it (no phantom protection, as for scans). The deletes travel in one prepare
     * message, so a range's keys must fit in {@code quarkus.level-2pc.max-message-size}.
     *
     * @return how many keys it deleted
     */
    long deleteRange(Range range);

    /**
     * A view of this database whose values are all of one type, as JSON: {@code db.typed(Account.class).get("ann")}.
     */
    <T> TypedDB<T> typed(Class<T> type);

    /** {@link #typed(Class)} for a generic type: {@code db.typed(new TypeReference<List<Order>>() { })}. */
    <T> TypedDB<T> typed(TypeReference<T> type);

    /** A typed view whose values {@code codec} encodes (for applications that do not want JSON). */
    <T> TypedDB<T> typed(ValueCodec<T> codec);

    /**
     * Runs {@code work} in a JTA transaction of its own and commits it; if it fails with a retryable
     * {@link Level2pcException} ({@link Level2pcException#isRetryable()}: a conflict, a lock wait, a node not ready),
     * anywhere in the cause chain, runs it again in a new transaction after a jittered exponential back-off, up to
     * 10 attempts within {@code quarkus.level-2pc.lock-wait-timeout}; then throws the last failure. Any other
     * failure is thrown at once. {@code work} must be safe to run more than once (its only effects the transaction's).
     *
     * @return what the committed attempt of {@code work} returned
     * @throws IllegalStateException if the calling thread already has a transaction (a part of it cannot be retried)
     */
    <T> T transaction(Supplier<T> work);

    /** {@link #transaction(Supplier)} for work without a result. */
    void transaction(Runnable work);

    /** The Mutiny ({@code Uni}/{@code Multi}) operations of this database. */
    ReactiveReplicatedDB reactive();

    /**
     * The non-blocking operations of this database, for code that must not block (event loops, reactive
     * REST methods): each write its own replicated transaction, never inside a JTA transaction.
     */
    AsyncReplicatedDB async();

    /** {@link #scan(Range)} as a stream; close the stream (try-with-resources) to release the snapshot. */
    Stream<KeyValue> stream(Range range);

    /** {@link #scan(Range, Scan)} as a stream; close it. */
    Stream<KeyValue> stream(Range range, Scan scan);
}
