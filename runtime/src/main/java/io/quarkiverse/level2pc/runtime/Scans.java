package io.quarkiverse.level2pc.runtime;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.Scan;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.jta.TxContext;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.smallrye.mutiny.Multi;

/**
 * The range operations of one {@link ReplicatedDBImpl}: scans (with direction, limit and start key), counts and
 * range deletes. A scan reads one snapshot of committed data merged with the current transaction's own writes.
 */
final class Scans {

    private final ReplicatedDBImpl db;
    private final Level2pcNode node;
    private final Bytes prefix;

    Scans(ReplicatedDBImpl db, Level2pcNode node, Bytes prefix) {
        this.db = db;
        this.node = node;
        this.prefix = prefix;
    }

    /** The internal bounds of {@code range} narrowed by {@code scan}'s start key: {@code [lo, hi)}, hi {@code null}: open. */
    private record Bounds(Bytes lo, Bytes hi) {
    }

    private Bounds bounds(Range range, Scan scan) {
        byte[] from = range.from();
        byte[] to = range.to();
        Bytes lo = KeySpace.dataKey(prefix, from == null ? new byte[0] : from);
        byte[] hiRaw = to == null ? Range.endOfPrefix(prefix.unsafeArray()) : KeySpace.dataKey(prefix, to).unsafeArray();
        Bytes hi = hiRaw == null ? null : Bytes.wrap(hiRaw);
        byte[] after = scan.after();
        if (after != null) {
            if (scan.isReverse()) {
                Bytes before = KeySpace.dataKey(prefix, after);
                hi = hi == null || before.compareTo(hi) < 0 ? before : hi;
            } else {
                Bytes next = KeySpace.dataKey(prefix, Arrays.copyOf(after, after.length + 1)); // the least key greater than after
                lo = next.compareTo(lo) > 0 ? next : lo;
            }
        }
        if (hi != null && lo.compareTo(hi) > 0) {
            hi = lo; // an empty range
        }
        return new Bounds(lo, hi);
    }

    KeyValueIterator scan(Range range, Scan scan) {
        Bounds b = bounds(range, scan);
        TxEnlistment tx = node.enlistment();
        NavigableMap<Bytes, byte[]> overlay = tx.inTransaction() ? tx.current().writesIn(b.lo(), b.hi())
                : Collections.emptyNavigableMap();
        Node n = node.awaitReadable();
        // Like a get: a committed write whose commit has not reached this node yet (its keys are held by a
        // prepared branch) must be waited for, or the scan could miss a write acknowledged before it.
        Futures.join(n.reads().awaitRangeUnlocked(b.lo(), b.hi()));
        NodeStore.Cursor cursor = n.local().store().scan(b.lo().unsafeArray(), b.hi() == null ? null : b.hi().unsafeArray());
        KeyValueIterator merged = new MergingIterator(cursor, overlay.entrySet().iterator());
        if (scan.isReverse()) {
            return reversed(merged, scan.limit());
        }
        return scan.limit() == Integer.MAX_VALUE ? merged : new Limited(merged, scan.limit());
    }

    /** The last {@code limit} entries of {@code it}, greatest key first (iq80 iterates forwards only). */
    private static KeyValueIterator reversed(KeyValueIterator it, int limit) {
        Deque<KeyValue> last = new ArrayDeque<>();
        try (it) {
            while (it.hasNext()) {
                if (last.size() == limit) {
                    last.removeFirst();
                }
                last.addLast(it.next());
            }
        }
        Iterator<KeyValue> desc = last.descendingIterator();
        return new KeyValueIterator() {
            @Override
            public boolean hasNext() {
                return desc.hasNext();
            }

            @Override
            public KeyValue next() {
                return desc.next();
            }

            @Override
            public void close() {
            }
        };
    }

    private static final class Limited implements KeyValueIterator {
        private final KeyValueIterator it;
        private int left;

        Limited(KeyValueIterator it, int limit) {
            this.it = it;
            this.left = limit;
        }

        @Override
        public boolean hasNext() {
            return left > 0 && it.hasNext();
        }

        @Override
        public KeyValue next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            left--;
            return it.next();
        }

        @Override
        public void close() {
            it.close();
        }
    }

    Multi<Change> changes(Range range) {
        Bounds b = bounds(range, Scan.forward());
        return node.changes(b.lo(), b.hi());
    }

    long count(Range range) {
        long n = 0;
        try (KeyValueIterator it = scan(range, Scan.forward())) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /**
     * Deletes every key of {@code range} as one transaction. Inside a JTA transaction the deletes join it, and the
     * committed keys found count as read (validated at commit); outside, it is a replicated transaction of its own
     * that reads the range and deletes what it found, read again and retried if one of those keys changed first.
     */
    long deleteRange(Range range) {
        Bounds b = bounds(range, Scan.forward());
        TxEnlistment tx = node.enlistment();
        if (tx.inTransaction()) {
            TxContext ctx = tx.currentForWrite();
            long n = 0;
            try (KeyValueIterator it = scan(range, Scan.forward())) {
                while (it.hasNext()) {
                    Entry e = (Entry) it.next();
                    Bytes k = KeySpace.dataKey(prefix, e.key);
                    if (e.version != null) {
                        ctx.recordRead(k, new io.quarkiverse.level2pc.core.Versioned(e.value, e.version));
                    }
                    ctx.write(k, null);
                    n++;
                }
            }
            return n;
        }
        Node n = node.awaitOpen();
        AtomicLong deleted = new AtomicLong();
        Futures.join(n.coordinator().runDerived(priority -> n.readiness().awaitReadable()
                .thenCompose(r -> n.reads().awaitRangeUnlocked(b.lo(), b.hi()))
                .thenApply(v -> {
                    TreeMap<Bytes, byte[]> writes = new TreeMap<>();
                    TreeMap<Bytes, Bytes> reads = new TreeMap<>();
                    try (NodeStore.Cursor c = n.local().store().scan(b.lo().unsafeArray(),
                            b.hi() == null ? null : b.hi().unsafeArray())) {
                        while (c.hasNext()) {
                            NodeStore.Entry e = c.next();
                            Bytes k = Bytes.wrap(e.key());
                            writes.put(k, null);
                            reads.put(k, e.value().version());
                        }
                    }
                    deleted.set(writes.size());
                    return writes.isEmpty() ? null : new TxWork(writes, reads, n.name()).withPriority(priority);
                }), n.readiness()::writeSet, n.readiness().writeBound(), node.config().lockWaitTimeout()));
        return deleted.get();
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
                    next = new Entry(KeySpace.userKey(prefix, c.key()), c.value().value(), c.value().version());
                    advanceCommitted();
                } else {
                    if (cmp == 0) {
                        advanceCommitted();
                    }
                    byte[] v = o.getValue();
                    if (v != null) {
                        next = new Entry(KeySpace.userKey(prefix, o.getKey().unsafeArray()), v.clone(), null);
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
    }

    /** An entry of a scan; {@code version} is {@code null} for the current transaction's own write. */
    private final class Entry implements KeyValue {
        private final byte[] key;
        private final byte[] value;
        private final Bytes version;

        Entry(byte[] key, byte[] value, Bytes version) {
            this.key = key;
            this.value = value;
            this.version = version;
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
        public String version() {
            return Versions.encode(version);
        }

        @Override
        public <T> T valueAs(Class<T> type) {
            return db.fromJson(value, type, keyAsString());
        }

        @Override
        public String toString() {
            return keyAsString() + "=" + valueAsString();
        }
    }
}
