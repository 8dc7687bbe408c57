package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.storage.KeySpace.decisionKey;
import static io.quarkiverse.level2pc.storage.KeySpace.heuristicKey;
import static io.quarkiverse.level2pc.storage.KeySpace.hintKey;
import static io.quarkiverse.level2pc.storage.KeySpace.metaKey;
import static io.quarkiverse.level2pc.storage.KeySpace.prepareKey;
import static io.quarkiverse.level2pc.storage.KeySpace.tombstoneKey;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Hint;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;

/**
 * The node's records on its {@link Store} (layout: {@link KeySpace}): committed values with their
 * versions, prepare records, the coordinator's commit decisions, operators' heuristic decisions, and in
 * quorum mode tombstones and catch-up hints. Every write that a rule of the protocol depends on is ONE
 * atomic batch, and durable ones are synced before their future completes: a prepare record before its
 * YES vote; a commit (its writes, the removal of its prepare record, the coordinator's decision) before
 * it is acknowledged. Thread-safe; the caller orders writes of the same keys (it holds their locks).
 */
public final class NodeStore implements Closeable {

    private static final Logger LOG = Logger.getLogger(NodeStore.class);

    private static final String NODE_NAME = "node-name";
    private static final String FORMAT = "format";
    private static final byte[] FORMAT_VALUE = "1".getBytes(StandardCharsets.UTF_8);

    private final Store store;
    /** The wall clock, for the deletion time of tombstones (their clean-up). */
    private final LongSupplier clock;
    /** The node this store belongs to (set by {@link #claimNodeName}): only a participant keeps catch-up hints. */
    private volatile String nodeName;

    public NodeStore(Store store) {
        this(store, System::currentTimeMillis);
    }

    /** @param clock the wall clock in milliseconds (a simulation passes its own) */
    public NodeStore(Store store, LongSupplier clock) {
        this.store = store;
        this.clock = clock;
    }

    public Store store() {
        return store;
    }

    /** Where the store lives, for messages. */
    public String location() {
        return store.location();
    }

    /**
     * Binds the store to a node name on first use and checks it on every later open, so that a data
     * directory is never silently reused under another node identity (the node name is part of every
     * transaction id it coordinated).
     *
     * The claim is written without waiting for it: it comes before any later write of the node (the store
     * applies writes in order), and a claim lost in a crash is simply made again at the next open.
     *
     * @return {@code null} if the names match (or the store was new), else the name the store belongs to
     */
    public String claimNodeName(String name) {
        this.nodeName = name;
        byte[] stored = store.get(metaKey(NODE_NAME));
        if (stored == null) {
            store.write(new WriteOps().put(metaKey(NODE_NAME), name.getBytes(StandardCharsets.UTF_8))
                    .put(metaKey(FORMAT), FORMAT_VALUE), true);
            return null;
        }
        String owner = new String(stored, StandardCharsets.UTF_8);
        return owner.equals(name) ? null : owner;
    }

    // ---- committed data ---------------------------------------------------------------------

    public Versioned get(Bytes internalKey) {
        byte[] raw = store.get(internalKey.unsafeArray());
        return raw == null ? null : decode(raw, Codec::decodeValue);
    }

    /** The committed version of a key, {@link Bytes#EMPTY} if absent. */
    public Bytes versionOf(Bytes internalKey) {
        Versioned v = get(internalKey);
        return v == null ? Bytes.EMPTY : v.version();
    }

    /** The version a key was deleted at (quorum mode), or {@code null}. */
    public Bytes tombstoneOf(Bytes internalKey) {
        byte[] raw = store.get(tombstoneKey(internalKey.unsafeArray()));
        return raw == null ? null : decode(raw, Codec::decodeValue).version();
    }

    /** The greatest commit stamp of a key: of its live version, or of its deletion (quorum mode). */
    public long stampOf(Bytes internalKey) {
        Versioned v = get(internalKey);
        if (v != null) {
            return Stamps.stampOf(v.version());
        }
        Bytes t = tombstoneOf(internalKey);
        return t == null ? 0 : Stamps.stampOf(t);
    }

    /** The state of {@code key} for a node catching up: its live version and value, or its tombstone, or nothing. */
    public KeyState stateOf(Bytes key) {
        Versioned v = get(key);
        if (v != null) {
            return new KeyState(key, v.version(), v.value());
        }
        Bytes t = tombstoneOf(key);
        return new KeyState(key, t == null ? Bytes.EMPTY : t, null);
    }

    /** An entry of a scan: the internal key and the decoded value. */
    public record Entry(byte[] key, Versioned value) {
    }

    /** A cursor over committed entries of {@code [from, to)}, from one snapshot (see {@link Store#scan}). */
    public Cursor scan(byte[] from, byte[] to) {
        return new Cursor(store.scan(from, to));
    }

    /** Committed entries of a scan, decoded. Close it. */
    public static final class Cursor implements Iterator<Entry>, Closeable {
        private final Store.Cursor raw;

        Cursor(Store.Cursor raw) {
            this.raw = raw;
        }

        @Override
        public boolean hasNext() {
            return raw.hasNext();
        }

        @Override
        public Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Map.Entry<byte[], byte[]> e = raw.next();
            return new Entry(e.getKey(), decode(e.getValue(), Codec::decodeValue));
        }

        @Override
        public void close() {
            raw.close();
        }
    }

    // ---- prepare records and commits ---------------------------------------------------------

    /** Writes a branch's prepare record, synced: only then may the participant vote YES. */
    public CompletableFuture<Void> persistPrepare(BranchId id, TxWork work) {
        return store.write(new WriteOps().put(prepareKey(id), Codec.encodePrepare(id, work)), true);
    }

    /** Deletes a branch's prepare record, synced (rollback). */
    public CompletableFuture<Void> deletePrepare(BranchId id) {
        return store.write(new WriteOps().delete(prepareKey(id)), true);
    }

    /**
     * Applies a branch's writes stamped with its version and, if {@code deleteRecord}, removes its prepare
     * record, and records the coordinator's commit {@code decision} (if not {@code null} and not settled):
     * one atomic, synced batch.
     */
    public CompletableFuture<Void> commit(BranchId id, TxWork work, boolean deleteRecord, Decision decision) {
        Bytes version = work.versionFor(id);
        boolean quorum = work.isQuorum();
        byte[] deletedAt = quorum ? tombstoneValue(version, clock.getAsLong()) : null;
        WriteOps ops = new WriteOps();
        List<Applied> applied = new ArrayList<>(work.writes().size());
        if (decision != null && !decision.isSettled()) {
            ops.put(decisionKey(decision.gtrid()), Codec.encodeDecision(decision));
        }
        for (Map.Entry<Bytes, byte[]> w : work.writes().entrySet()) {
            // Quorum mode: a key a catch-up already brought to a later (or this very) version keeps it. The caller
            // holds the branch's locks, so no other write of these keys is pending.
            if (quorum && stampOf(w.getKey()) >= work.stamp()) {
                continue;
            }
            byte[] key = w.getKey().unsafeArray();
            applied.add(new Applied(w.getKey(), w.getValue(), version));
            if (w.getValue() == null) {
                ops.delete(key);
                if (quorum) {
                    ops.put(tombstoneKey(key), deletedAt);
                }
            } else {
                ops.put(key, Codec.encodeValue(version, w.getValue()));
                if (quorum) {
                    ops.delete(tombstoneKey(key));
                }
            }
        }
        // Kept by the transaction's participants only: a node that adopted the branch while catching up was
        // itself left out, and nobody would ever clear a hint it kept.
        boolean hinted = quorum && work.excluded() > 0 && !work.writes().isEmpty() && work.participants().contains(nodeName);
        if (hinted) {
            ops.put(hintKey(id.gtrid()), Codec.encodeHint(new Hint(id.gtrid(), work.participants(), work.excluded(),
                    new ArrayList<>(work.writes().keySet()), List.of())));
        }
        if (deleteRecord) {
            ops.delete(prepareKey(id));
        }
        CompletableFuture<Void> write = store.write(ops, true);
        // Before the branch is released: at every moment a hello sees the branch live or the hint recorded.
        return written(hinted ? write.whenComplete((v, e) -> hintsMissed.kept(work.participants())) : write, applied);
    }

    // ---- what was applied ---------------------------------------------------------------------

    /** A data key's new state once a commit or a catch-up is durable: its value ({@code null}: deleted) and version. */
    public record Applied(Bytes key, byte[] value, Bytes version) {
    }

    private volatile Consumer<List<Applied>> onApplied;

    /**
     * Tells {@code listener} of the data keys of every commit and catch-up once it is durable and visible, before
     * the write's future completes (so before the branch's locks are released: the changes of one key arrive in
     * the order they were applied). Called on the thread that completed the write; it must be quick and not throw.
     */
    public void onApplied(Consumer<List<Applied>> listener) {
        this.onApplied = listener;
    }

    private CompletableFuture<Void> written(CompletableFuture<Void> write, List<Applied> applied) {
        Consumer<List<Applied>> listener = onApplied;
        if (listener == null || applied.isEmpty()) {
            return write;
        }
        return write.thenRun(() -> {
            try {
                listener.accept(applied);
            } catch (RuntimeException e) {
                LOG.errorf(e, "A listener of applied changes failed (the changes are committed): %s", e);
            }
        });
    }

    /** Every prepare record on disk, in key order. */
    public List<PrepareRecord> loadPrepared() {
        List<PrepareRecord> records = new ArrayList<>();
        byte[] prefix = { KeySpace.PREPARE };
        forEachWithPrefix(prefix, (branch, value) -> {
            PrepareRecord r = decode(value, Codec::decodePrepare);
            if (!Arrays.equals(prepareKey(r.branch()), KeySpace.concat(prefix, branch))) {
                throw new StoreCorruptedException("prepare record stored under a key that does not match its branch " + r.branch());
            }
            records.add(r);
        });
        return records;
    }

    // ---- coordinator decisions ----------------------------------------------------------------

    /**
     * Updates a coordinator's commit decision once peers acknowledged: removed when none is left. Not synced:
     * a decision that reappears after a crash only makes the node send commits the peers already applied
     * (they answer "unknown branch", which counts as done).
     */
    public CompletableFuture<Void> updateDecision(Decision d) {
        WriteOps ops = d.isSettled() ? new WriteOps().delete(decisionKey(d.gtrid()))
                : new WriteOps().put(decisionKey(d.gtrid()), Codec.encodeDecision(d));
        return store.write(ops, false);
    }

    /** Every commit decision whose peers have not all acknowledged. */
    public List<Decision> loadDecisions() {
        List<Decision> result = new ArrayList<>();
        forEachWithPrefix(metaKey(KeySpace.DECISION), (gtrid, value) -> result.add(decode(value,
                v -> Codec.decodeDecision(Bytes.wrap(gtrid), v))));
        return result;
    }

    // ---- heuristic decisions ----------------------------------------------------------------

    /**
     * Records, synced, that an operator decided a branch by hand (a heuristic decision), before it is
     * carried out: the record outlives the branch so a coordinator that decided otherwise is told.
     */
    public CompletableFuture<Void> recordHeuristic(BranchId id, boolean committed, long atMillis) {
        byte[] value = ((committed ? "COMMITTED " : "ROLLED_BACK ") + atMillis).getBytes(StandardCharsets.UTF_8);
        return store.write(new WriteOps().put(heuristicKey(id), value), true);
    }

    /** Drops a heuristic record once the coordinator has forgotten it. */
    public CompletableFuture<Void> deleteHeuristic(BranchId id) {
        return store.write(new WriteOps().delete(heuristicKey(id)), true);
    }

    /** Every heuristic decision on record. */
    public Map<BranchId, Outcome> loadHeuristics() {
        Map<BranchId, Outcome> result = new HashMap<>();
        forEachWithPrefix(metaKey(KeySpace.HEURISTIC), (branch, value) -> result.put(decode(branch, Codec::decodeBranch),
                new String(value, StandardCharsets.UTF_8).startsWith("COMMITTED") ? Outcome.COMMITTED : Outcome.ROLLED_BACK));
        return result;
    }

    // ---- quorum mode: tombstones, catch-up hints ----------------------------------------------

    /** A tombstone: the deleted key's last version, and when it was deleted (wall clock, for clean-up). */
    private static byte[] tombstoneValue(Bytes version, long deletedAtMillis) {
        return Codec.encodeValue(version, ByteBuffer.allocate(8).putLong(deletedAtMillis).array());
    }

    /** Whether a catch-up hint for the transaction {@code gtrid} is on record (it committed here without some nodes). */
    public boolean hasHint(Bytes gtrid) {
        return store.get(hintKey(gtrid)) != null;
    }

    private final HintsMissed hintsMissed = new HintsMissed(this::hints);

    /** Every catch-up hint on record. */
    public List<Hint> hints() {
        List<Hint> result = new ArrayList<>();
        forEachWithPrefix(new byte[] { KeySpace.HINT }, (gtrid, value) -> result.add(decode(value,
                v -> Codec.decodeHint(Bytes.wrap(gtrid), v))));
        return result;
    }

    /**
     * Node {@code name} applied the hints {@code gtrids}: each is deleted once every node it was missed by
     * caught up. Not synced: a hint that reappears after a crash is only sent again (applying it twice is a
     * no-op, stamps decide).
     */
    public CompletableFuture<Void> caughtUp(String name, List<Bytes> gtrids) {
        WriteOps ops = new WriteOps();
        for (Bytes g : gtrids) {
            byte[] raw = store.get(hintKey(g));
            if (raw != null) {
                Hint h = decode(raw, v -> Codec.decodeHint(g, v));
                Hint rest = h.caughtUpBy(name);
                if (rest == null) {
                    ops.delete(hintKey(g));
                } else if (rest != h) {
                    ops.put(hintKey(g), Codec.encodeHint(rest));
                }
            }
        }
        return ops.isEmpty() ? CompletableFuture.completedFuture(null)
                : store.write(ops, false).whenComplete((v, e) -> hintsMissed.dropped());
    }

    /** Whether a catch-up hint that node {@code name} missed, and has not caught up with, is on record. */
    public boolean hasHintFor(String name) {
        return hintsMissed.any(name);
    }

    /**
     * Applies what a node catching up learned, in one atomic, synced batch: each key's newer state (a value,
     * or a deletion kept as a tombstone) and the prepare records of branches it adopts.
     */
    public CompletableFuture<Void> applyCatchUp(List<KeyState> newer, List<PrepareRecord> adopted) {
        long now = clock.getAsLong();
        WriteOps ops = new WriteOps();
        List<Applied> applied = new ArrayList<>(newer.size());
        for (KeyState k : newer) {
            byte[] key = k.key().unsafeArray();
            applied.add(new Applied(k.key(), k.value(), k.version()));
            if (k.value() == null) {
                ops.delete(key);
                ops.put(tombstoneKey(key), tombstoneValue(k.version(), now));
            } else {
                ops.put(key, Codec.encodeValue(k.version(), k.value()));
                ops.delete(tombstoneKey(key));
            }
        }
        for (PrepareRecord r : adopted) {
            ops.put(prepareKey(r.branch()), Codec.encodePrepare(r.branch(), r.work()));
        }
        return written(store.write(ops, true), applied);
    }

    /**
     * Deletes tombstones older than {@code cutoffMillis} whose key no catch-up hint names; returns how many.
     * Only called while the node is current: a tombstone is needed to refuse a late prepare with an older
     * stamp (bounded by the prepare timeout), to tell a catch-up that the key was deleted later than what a
     * source holds, and, while a hint names its key, to tell a node that missed the deletion.
     */
    public int sweepTombstones(long cutoffMillis) {
        Set<Bytes> hinted = new HashSet<>();
        for (Hint h : hints()) {
            hinted.addAll(h.keys());
        }
        WriteOps old = new WriteOps();
        forEachWithPrefix(new byte[] { KeySpace.TOMBSTONE }, (key, value) -> {
            byte[] at = decode(value, Codec::decodeValue).value();
            if (at.length == 8 && ByteBuffer.wrap(at).getLong() < cutoffMillis && !hinted.contains(Bytes.wrap(key))) {
                old.delete(tombstoneKey(key));
            }
        });
        if (!old.isEmpty()) {
            store.write(old, false);
        }
        return old.size();
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** Calls {@code action} with the rest of the key and the value of every entry whose key starts with {@code prefix}. */
    private void forEachWithPrefix(byte[] prefix, BiConsumer<byte[], byte[]> action) {
        try (Store.Cursor c = store.scan(prefix, Range.endOfPrefix(prefix))) {
            while (c.hasNext()) {
                Map.Entry<byte[], byte[]> e = c.next();
                byte[] k = e.getKey();
                action.accept(Arrays.copyOfRange(k, prefix.length, k.length), e.getValue());
            }
        }
    }

    /** Decodes a record read from this node's own store: undecodable bytes mean a corrupted store. */
    private static <T> T decode(byte[] raw, Function<byte[], T> decoder) {
        try {
            return decoder.apply(raw);
        } catch (DecodeException e) {
            throw new StoreCorruptedException(e.getMessage(), e);
        }
    }

    /** How many callers' writes were applied, in how many store writes. */
    public Store.WriteStats writeStats() {
        return store.stats();
    }

    public boolean isOpen() {
        return store.isOpen();
    }

    @Override
    public void close() {
        store.close();
    }
}
