package io.quarkiverse.level2pc.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.core.type.TypeReference;

import io.quarkiverse.level2pc.AsyncReplicatedDB;
import io.quarkiverse.level2pc.Batch;
import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReactiveReplicatedDB;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.quarkiverse.level2pc.TypedDB;
import io.quarkiverse.level2pc.ValueCodec;
import io.quarkiverse.level2pc.Versioned;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.smallrye.mutiny.Multi;
import io.vertx.core.Context;

/**
 * {@link ReplicatedDB} for one named database. Inside a JTA transaction it works through the
 * transaction's {@link io.quarkiverse.level2pc.jta.TxContext}; outside one every write is a transaction of its own, coordinated by
 * this node (no JTA transaction is started for it).
 */
public final class ReplicatedDBImpl implements ReplicatedDB {

    private final String name;
    private final Bytes prefix;
    private final Level2pcNode node;
    private final JsonValues json;
    private final ReactiveReplicatedDB reactive;
    private final AsyncReplicatedDBImpl async;
    private final Conditionals conditionals;
    private final Scans scans;

    public ReplicatedDBImpl(String name, Level2pcNode node) {
        this.name = Objects.requireNonNull(name, "name is null");
        this.prefix = KeySpace.dbPrefix(name);
        this.node = node;
        this.conditionals = new Conditionals(node);
        this.scans = new Scans(this, node, prefix);
        this.async = new AsyncReplicatedDBImpl(this, node, conditionals);
        this.json = new JsonValues(name);
        this.reactive = new ReactiveReplicatedDBImpl(this, async);
    }

    @Override
    public AsyncReplicatedDB async() {
        return async;
    }

    @Override
    public String name() {
        return name;
    }

    // ---- reads -------------------------------------------------------------------------------

    @Override
    public byte[] get(byte[] key) {
        Bytes k = internalKey(key);
        refuseOnEventLoop("get");
        io.quarkiverse.level2pc.core.Versioned v = conditionals.read(k);
        return v == null ? null : v.value();
    }

    @Override
    public String get(String key) {
        byte[] v = get(utf8(key, "key"));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Override
    public <T> T get(String key, Class<T> type) {
        Objects.requireNonNull(type, "type is null");
        byte[] v = get(utf8(key, "key"));
        return v == null ? null : fromJson(v, type, key);
    }

    @Override
    public Versioned<byte[]> getVersioned(byte[] key) {
        Bytes k = internalKey(key);
        refuseOnEventLoop("getVersioned");
        return versioned(conditionals.read(k), v -> v);
    }

    @Override
    public Versioned<String> getVersioned(String key) {
        return versioned(getVersioned(utf8(key, "key")), ReplicatedDBImpl::text);
    }

    @Override
    public <T> Versioned<T> getVersioned(String key, Class<T> type) {
        Objects.requireNonNull(type, "type is null");
        return versioned(getVersioned(utf8(key, "key")), v -> fromJson(v, type, key));
    }

    @Override
    public boolean exists(byte[] key) {
        return get(key) != null;
    }

    @Override
    public boolean exists(String key) {
        return get(utf8(key, "key")) != null;
    }

    @Override
    public Map<String, String> getAll(Collection<String> keys) {
        Objects.requireNonNull(keys, "keys is null");
        Map<String, String> found = new LinkedHashMap<>();
        for (String key : List.copyOf(keys)) {
            String v = get(key);
            if (v != null) {
                found.put(key, v);
            }
        }
        return found;
    }

    static <A, B> Versioned<B> versioned(Versioned<A> v, Function<A, B> convert) {
        return v == null ? null : new Versioned<>(convert.apply(v.value()), v.version());
    }

    static <B> Versioned<B> versioned(io.quarkiverse.level2pc.core.Versioned v, Function<byte[], B> convert) {
        return v == null ? null : new Versioned<>(convert.apply(v.value()), Versions.encode(v.version()));
    }

    static String text(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    // ---- conditional writes ------------------------------------------------------------------

    @Override
    public boolean putIfAbsent(byte[] key, byte[] value) {
        return conditional(internalKey(key), Conditionals.absent(), checkValue(value));
    }

    @Override
    public boolean putIfAbsent(String key, String value) {
        return putIfAbsent(utf8(key, "key"), utf8(value, "value"));
    }

    @Override
    public boolean putIfAbsent(String key, Object value) {
        return putIfAbsent(utf8(key, "key"), toJson(value));
    }

    @Override
    public boolean replace(byte[] key, String expectedVersion, byte[] value) {
        return conditional(internalKey(key), Conditionals.is(expectedVersion), checkValue(value));
    }

    @Override
    public boolean replace(String key, String expectedVersion, String value) {
        return replace(utf8(key, "key"), expectedVersion, utf8(value, "value"));
    }

    @Override
    public boolean replace(String key, String expectedVersion, Object value) {
        return replace(utf8(key, "key"), expectedVersion, toJson(value));
    }

    @Override
    public boolean delete(byte[] key, String expectedVersion) {
        return conditional(internalKey(key), Conditionals.is(expectedVersion), null);
    }

    @Override
    public boolean delete(String key, String expectedVersion) {
        return delete(utf8(key, "key"), expectedVersion);
    }

    private boolean conditional(Bytes k, Predicate<Bytes> holds, byte[] value) {
        refuseOnEventLoop("putIfAbsent/replace/delete");
        return conditionals.write(k, holds, value);
    }

    // ---- writes ------------------------------------------------------------------------------

    @Override
    public void put(byte[] key, byte[] value) {
        write(Map.of(internalKey(key), checkValue(value)));
    }

    @Override
    public void put(String key, String value) {
        put(utf8(key, "key"), utf8(value, "value"));
    }

    @Override
    public void put(String key, Object value) {
        put(utf8(key, "key"), toJson(value));
    }

    @Override
    public void delete(byte[] key) {
        Map<Bytes, byte[]> op = new LinkedHashMap<>();
        op.put(internalKey(key), null);
        write(op);
    }

    @Override
    public void delete(String key) {
        delete(utf8(key, "key"));
    }

    @Override
    public void batch(Consumer<Batch> ops) {
        Map<Bytes, byte[]> collected = collect(ops);
        if (!collected.isEmpty()) {
            write(collected);
        }
    }

    /** The operations {@code ops} adds to a batch, by internal key (checked as they are added). */
    Map<Bytes, byte[]> collect(Consumer<Batch> ops) {
        Objects.requireNonNull(ops, "ops is null");
        BatchImpl batch = new BatchImpl();
        ops.accept(batch);
        return batch.ops;
    }

    private final class BatchImpl implements Batch {
        final Map<Bytes, byte[]> ops = new LinkedHashMap<>();

        @Override
        public Batch put(byte[] key, byte[] value) {
            Bytes k = internalKey(key);
            ops.remove(k);
            ops.put(k, checkValue(value));
            return this;
        }

        @Override
        public Batch put(String key, String value) {
            return put(utf8(key, "key"), utf8(value, "value"));
        }

        @Override
        public Batch put(String key, Object value) {
            return put(utf8(key, "key"), toJson(value));
        }

        @Override
        public Batch delete(byte[] key) {
            Bytes k = internalKey(key);
            ops.remove(k);
            ops.put(k, null);
            return this;
        }

        @Override
        public Batch delete(String key) {
            return delete(utf8(key, "key"));
        }
    }

    /**
     * Buffers {@code ops} in the current transaction, or commits them in a transaction of their own. A
     * standalone write is blind (it read nothing), so running it again is always safe: the coordinator
     * retries it after a conflict with a jittered back-off (and, in quorum mode, after a peer left), bounded
     * by {@code lock-wait-timeout} (or the readiness bound), then throws the last failure.
     */
    private void write(Map<Bytes, byte[]> ops) {
        refuseOnEventLoop("put/delete/batch");
        TxEnlistment tx = node.enlistment();
        if (tx.inTransaction()) {
            tx.currentForWrite().writeAll(ops);
            return;
        }
        Futures.join(standalone(node.awaitOpen(), ops));
    }

    /** Commits {@code ops} as a replicated transaction of their own (see {@link #write}). */
    CompletableFuture<Void> standalone(Node n, Map<Bytes, byte[]> ops) {
        TxWork work = new TxWork(new TreeMap<>(ops), Map.of(), n.name());
        return n.coordinator().run(work, n.readiness()::writeSet, n.readiness().writeBound(), node.config().lockWaitTimeout());
    }

    // ---- scans -------------------------------------------------------------------------------

    @Override
    public KeyValueIterator scan(Range range) {
        return scan(range, Scan.forward());
    }

    @Override
    public KeyValueIterator scan(Range range, Scan scan) {
        Objects.requireNonNull(range, "range is null");
        Objects.requireNonNull(scan, "scan is null");
        refuseOnEventLoop("scan");
        return scans.scan(range, scan);
    }

    @Override
    public Stream<KeyValue> stream(Range range) {
        return stream(range, Scan.forward());
    }

    @Override
    public Stream<KeyValue> stream(Range range, Scan scan) {
        KeyValueIterator it = scan(range, scan);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(it::close);
    }

    @Override
    public Multi<Change> changes(Range range) {
        Objects.requireNonNull(range, "range is null");
        return scans.changes(range);
    }

    @Override
    public long count(Range range) {
        Objects.requireNonNull(range, "range is null");
        refuseOnEventLoop("count");
        return scans.count(range);
    }

    @Override
    public long deleteRange(Range range) {
        Objects.requireNonNull(range, "range is null");
        refuseOnEventLoop("deleteRange");
        return scans.deleteRange(range);
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * The blocking methods wait for the node (a commit, a lock, the cluster): on a Vert.x event loop that would
     * stall every request the loop serves, so they refuse at once and name the alternative.
     */
    static void refuseOnEventLoop(String call) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("ReplicatedDB." + call + " blocks its thread, and this is a Vert.x event loop ("
                    + Thread.currentThread().getName() + "): use db.reactive() (Mutiny Uni) or db.async() (CompletionStage),"
                    + " or run this code on a worker thread (@Blocking)");
        }
    }

    Bytes internalKey(byte[] key) {
        Objects.requireNonNull(key, "key is null");
        if (key.length == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is " + key.length + " bytes; the limit is " + MAX_KEY_BYTES);
        }
        return KeySpace.dataKey(prefix, key);
    }

    static byte[] checkValue(byte[] value) {
        Objects.requireNonNull(value, "value is null (use delete to remove a key)");
        if (value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value is " + value.length + " bytes; the limit is " + MAX_VALUE_BYTES);
        }
        return value.clone();
    }

    static byte[] utf8(String s, String what) {
        Objects.requireNonNull(s, what + " is null");
        return s.getBytes(StandardCharsets.UTF_8);
    }

    byte[] toJson(Object value) {
        return json.encode(value);
    }

    <T> T fromJson(byte[] value, Class<T> type, String key) {
        return json.decode(value, type, key);
    }

    // ---- typed views, retries, Mutiny --------------------------------------------------------

    @Override
    public <T> T get(String key, TypeReference<T> type) {
        Objects.requireNonNull(type, "type is null");
        byte[] v = get(utf8(key, "key"));
        return v == null ? null : json.decode(v, type.getType(), key);
    }

    @Override
    public <T> TypedDB<T> typed(Class<T> type) {
        return new TypedDBImpl<>(this, json.codec(Objects.requireNonNull(type, "type is null")));
    }

    @Override
    public <T> TypedDB<T> typed(TypeReference<T> type) {
        return new TypedDBImpl<>(this, json.codec(Objects.requireNonNull(type, "type is null").getType()));
    }

    @Override
    public <T> TypedDB<T> typed(ValueCodec<T> codec) {
        return new TypedDBImpl<>(this, codec);
    }

    @Override
    public <T> T transaction(Supplier<T> work) {
        Objects.requireNonNull(work, "work is null");
        refuseOnEventLoop("transaction");
        return Retries.run(work, node.config().lockWaitTimeout(), node.enlistment().inTransaction());
    }

    @Override
    public void transaction(Runnable work) {
        Objects.requireNonNull(work, "work is null");
        transaction(() -> {
            work.run();
            return null;
        });
    }

    @Override
    public ReactiveReplicatedDB reactive() {
        return reactive;
    }

    @Override
    public String toString() {
        return "ReplicatedDB[" + name + "]";
    }
}
