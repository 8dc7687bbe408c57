package io.quarkiverse.level2pc.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.AsyncReplicatedDB;
import io.quarkiverse.level2pc.Batch;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.jta.TxContext;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkus.arc.Arc;
import io.vertx.core.Context;

/**
 * {@link ReplicatedDB} for one named database. Inside a JTA transaction it works through the
 * transaction's {@link TxContext}; outside one every write is a transaction of its own, coordinated by
 * this node (no JTA transaction is started for it).
 */
public final class ReplicatedDBImpl implements ReplicatedDB {

    private final String name;
    private final Bytes prefix;
    private final Level2pcNode node;
    private volatile ObjectMapper mapper;
    private final AsyncReplicatedDBImpl async;

    public ReplicatedDBImpl(String name, Level2pcNode node) {
        this.name = Objects.requireNonNull(name, "name is null");
        this.prefix = KeySpace.dbPrefix(name);
        this.node = node;
        this.async = new AsyncReplicatedDBImpl(this, node);
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
        TxEnlistment tx = node.enlistment();
        if (!tx.inTransaction()) {
            Versioned v = node.awaitReadable().reads().read(k);
            return v == null ? null : v.value();
        }
        TxContext ctx = tx.current();
        TxContext.Local local = ctx.lookup(k);
        if (local instanceof TxContext.Written w) {
            return w.value() == null ? null : w.value().clone();
        }
        if (local instanceof TxContext.Cached c) {
            return c.value() == null ? null : c.value().clone();
        }
        Versioned v = node.awaitReadable().reads().read(k);
        ctx.recordRead(k, v);
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
        Objects.requireNonNull(range, "range is null");
        refuseOnEventLoop("scan");
        byte[] from = range.from();
        byte[] to = range.to();
        Bytes lo = KeySpace.dataKey(prefix, from == null ? new byte[0] : from);
        byte[] hi = to == null ? Range.endOfPrefix(prefix.unsafeArray()) : KeySpace.dataKey(prefix, to).unsafeArray();
        TxEnlistment tx = node.enlistment();
        NavigableMap<Bytes, byte[]> overlay = tx.inTransaction()
                ? tx.current().writesIn(lo, hi == null ? null : Bytes.wrap(hi))
                : Collections.emptyNavigableMap();
        Node n = node.awaitReadable();
        // Like a get: a committed write whose commit has not reached this node yet (its keys are held by a
        // prepared branch) must be waited for, or the scan could miss a write acknowledged before it.
        Futures.join(n.reads().awaitRangeUnlocked(lo, hi == null ? null : Bytes.wrap(hi)));
        NodeStore.Cursor cursor = n.local().store().scan(lo.unsafeArray(), hi);
        return new MergingIterator(cursor, overlay.entrySet().iterator());
    }

    @Override
    public Stream<KeyValue> stream(Range range) {
        KeyValueIterator it = scan(range);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(it::close);
    }

    /** Merges committed entries with the transaction's own writes (which win; a null deletes). */
    private final class MergingIterator implements KeyValueIterator {
        private final NodeStore.Cursor committed;
        private final Iterator<Map.Entry<Bytes, byte[]>> own;
        private NodeStore.Entry c;
        private Map.Entry<Bytes, byte[]> o;
        private KeyValue next;

        MergingIterator(NodeStore.Cursor committed, Iterator<Map.Entry<Bytes, byte[]>> own) {
            this.committed = committed;
            this.own = own;
            advanceCommitted();
            advanceOwn();
        }

        private void advanceCommitted() {
            c = committed.hasNext() ? committed.next() : null;
        }

        private void advanceOwn() {
            o = own.hasNext() ? own.next() : null;
        }

        @Override
        public boolean hasNext() {
            while (next == null && (c != null || o != null)) {
                int cmp = c == null ? 1 : o == null ? -1 : Arrays.compareUnsigned(c.key(), o.getKey().unsafeArray());
                if (cmp < 0) {
                    next = entry(c.key(), c.value().value());
                    advanceCommitted();
                } else {
                    if (cmp == 0) {
                        advanceCommitted();
                    }
                    byte[] v = o.getValue();
                    if (v != null) {
                        next = entry(o.getKey().unsafeArray(), v.clone());
                    }
                    advanceOwn();
                }
            }
            return next != null;
        }

        @Override
        public KeyValue next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            KeyValue kv = next;
            next = null;
            return kv;
        }

        @Override
        public void close() {
            committed.close();
        }

        private KeyValue entry(byte[] internalKey, byte[] value) {
            return new Entry(KeySpace.userKey(prefix, internalKey), value);
        }
    }

    private final class Entry implements KeyValue {
        private final byte[] key;
        private final byte[] value;

        Entry(byte[] key, byte[] value) {
            this.key = key;
            this.value = value;
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public <T> T valueAs(Class<T> type) {
            return fromJson(value, type, keyAsString());
        }

        @Override
        public String toString() {
            return keyAsString() + "=" + valueAsString();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * The blocking methods wait for the node (a commit, a lock, the cluster): on a Vert.x event loop that would
     * stall every request the loop serves, so they refuse at once and name the alternative.
     */
    private static void refuseOnEventLoop(String call) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("ReplicatedDB." + call + " blocks its thread, and this is a Vert.x event loop ("
                    + Thread.currentThread().getName() + "): use db.async() (CompletionStage; Mutiny:"
                    + " Uni.createFrom().completionStage(...)), or run this code on a worker thread (@Blocking)");
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

    private ObjectMapper mapper() {
        ObjectMapper m = mapper;
        if (m == null) {
            m = Arc.container().instance(ObjectMapper.class).get();
            mapper = m;
        }
        return m;
    }

    private byte[] toJson(Object value) {
        Objects.requireNonNull(value, "value is null (use delete to remove a key)");
        try {
            return mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
    }

    private <T> T fromJson(byte[] value, Class<T> type, String key) {
        try {
            return mapper().readValue(value, type);
        } catch (IOException e) {
            throw new Level2pcException("the value of key '" + key + "' in database " + name + " is not JSON for "
                    + type.getName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ReplicatedDB[" + name + "]";
    }
}
