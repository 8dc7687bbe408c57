package io.quarkiverse.level2pc.storage;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.Snapshot;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.Iq80DBFactory;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * The node's LevelDB (iq80, pure Java). Durability contract: {@link #persistPrepare},
 * {@link #commit} and {@link #deletePrepare} return only after their write is synced to disk when
 * {@code sync} is on; each is one atomic {@link WriteBatch}, so a crash leaves either all of it or
 * none of it. Thread-safe (LevelDB is); the caller orders writes of the same keys.
 */
public final class LevelStore implements Closeable {

    private static final String NODE_NAME = "node-name";
    private static final String FORMAT = "format";
    private static final byte[] FORMAT_VALUE = "1".getBytes(StandardCharsets.UTF_8);

    private final DB db;
    /** The node this store belongs to (set by {@link #claimNodeName}): only a participant keeps catch-up hints. */
    private volatile String nodeName;
    private final Path dir;
    private final WriteOptions writeOptions;
    private volatile boolean closed;

    private LevelStore(DB db, Path dir, boolean sync) {
        this.db = db;
        this.dir = dir;
        this.writeOptions = new WriteOptions().sync(sync);
    }

    /**
     * Opens (creating if missing) the store in {@code dir}.
     *
     * @param sync whether commits and prepare records are synced to disk before returning
     */
    public static LevelStore open(Path dir, boolean sync, int maxOpenFiles) {
        return open(dir, sync, maxOpenFiles, java.util.function.UnaryOperator.identity());
    }

    /**
     * Opens the store with the LevelDB handle passed through {@code decorate} (the durability audit
     * test records every write and its sync flag through it).
     */
    public static LevelStore open(Path dir, boolean sync, int maxOpenFiles, java.util.function.UnaryOperator<DB> decorate) {
        requireNonNull(dir, "dir is null");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the LevelDB directory " + dir.toAbsolutePath(), e);
        }
        Options options = new Options()
                .createIfMissing(true)
                .paranoidChecks(true)
                .maxOpenFiles(maxOpenFiles)
                // Snappy is loaded reflectively and silently falls back to NONE; pin it so that JVM
                // and native builds write the same format.
                .compressionType(CompressionType.NONE);
        try {
            DB db = decorate.apply(Iq80DBFactory.factory.open(dir.toFile(), options));
            return new LevelStore(db, dir, sync);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open LevelDB in " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    public Path directory() {
        return dir;
    }

    /**
     * Binds the store to a node name on first use and checks it on every later open, so that a data
     * directory is never silently reused under another node identity (the node name is part of every
     * transaction id it coordinated).
     *
     * @return {@code null} if the names match (or the store was new), else the name the store belongs to
     */
    public String claimNodeName(String nodeName) {
        this.nodeName = nodeName;
        byte[] key = KeySpace.metaKey(NODE_NAME);
        byte[] stored = db.get(key);
        if (stored == null) {
            WriteBatch batch = db.createWriteBatch();
            try {
                batch.put(key, nodeName.getBytes(StandardCharsets.UTF_8));
                batch.put(KeySpace.metaKey(FORMAT), FORMAT_VALUE);
                db.write(batch, new WriteOptions().sync(true));
            } finally {
                closeQuietly(batch);
            }
            return null;
        }
        String owner = new String(stored, StandardCharsets.UTF_8);
        return owner.equals(nodeName) ? null : owner;
    }

    public Versioned get(Bytes internalKey) {
        byte[] raw = db.get(internalKey.unsafeArray());
        return raw == null ? null : Codec.decodeValue(raw);
    }

    /** The committed version of a key, {@link Bytes#EMPTY} if absent. */
    public Bytes versionOf(Bytes internalKey) {
        Versioned v = get(internalKey);
        return v == null ? Bytes.EMPTY : v.version();
    }

    /** Writes a branch's prepare record, synced: only then may the participant vote YES. */
    public void persistPrepare(BranchId id, TxWork work) {
        write(batch -> batch.put(Codec.prepareKey(id), Codec.encodePrepare(id, work)));
    }

    /** Deletes a branch's prepare record, synced (rollback). */
    public void deletePrepare(BranchId id) {
        write(batch -> batch.delete(Codec.prepareKey(id)));
    }

    /**
     * Applies a branch's writes stamped with its version and, if {@code deleteRecord}, removes its
     * prepare record: one atomic, synced batch.
     */
    public void commit(BranchId id, TxWork work, boolean deleteRecord) {
        commit(id, work, deleteRecord, null);
    }

    private static final String DECISION = "decision/";

    private static byte[] decisionKey(Bytes gtrid) {
        return concat(KeySpace.metaKey(DECISION), gtrid.unsafeArray());
    }

    /**
     * Updates a coordinator's commit decision once peers acknowledged: removed when none is left.
     * Not synced: a decision that reappears after a crash only makes the node send commits the peers
     * already applied (they answer "unknown branch", which counts as done).
     */
    public void updateDecision(Codec.Decision d) {
        write(batch -> {
            if (d.peers().isEmpty()) {
                batch.delete(decisionKey(d.gtrid()));
            } else {
                batch.put(decisionKey(d.gtrid()), Codec.encodeDecision(d));
            }
        }, false);
    }

    /** Every commit decision whose peers have not all acknowledged. */
    public List<Codec.Decision> loadDecisions() {
        List<Codec.Decision> result = new ArrayList<>();
        forEachWithPrefix(KeySpace.metaKey(DECISION), (gtrid, value) -> result.add(Codec.decodeDecision(Bytes.wrap(gtrid), value)));
        return result;
    }

    /**
     * {@link #commit(BranchId, TxWork, boolean)}, recording in the same atomic, synced batch the
     * coordinator's commit {@code decision} (if not {@code null}) for the peers still to commit.
     */
    public void commit(BranchId id, TxWork work, boolean deleteRecord, Codec.Decision decision) {
        Bytes version = work.versionFor(id);
        boolean quorum = work.isQuorum();
        byte[] deletedAt = quorum ? tombstoneValue(version, System.currentTimeMillis()) : null;
        // Quorum mode: a key a catch-up already brought to a later (or this very) version keeps it. The caller
        // holds the branch's locks, so no other write of these keys is pending.
        java.util.Set<Bytes> newerHere = new java.util.HashSet<>();
        if (quorum) {
            for (Bytes key : work.writes().keySet()) {
                if (stampOf(key) >= work.stamp()) {
                    newerHere.add(key);
                }
            }
        }
        write(batch -> {
            if (decision != null && !decision.peers().isEmpty()) {
                batch.put(decisionKey(decision.gtrid()), Codec.encodeDecision(decision));
            }
            for (Map.Entry<Bytes, byte[]> w : work.writes().entrySet()) {
                if (newerHere.contains(w.getKey())) {
                    continue;
                }
                byte[] key = w.getKey().unsafeArray();
                if (w.getValue() == null) {
                    batch.delete(key);
                    if (quorum) {
                        batch.put(tombstoneKey(key), deletedAt);
                    }
                } else {
                    batch.put(key, Codec.encodeValue(version, w.getValue()));
                    if (quorum) {
                        batch.delete(tombstoneKey(key));
                    }
                }
            }
            // Kept by the transaction's participants only: a node that adopted the branch while catching up was
            // itself left out, and nobody would ever clear a hint it kept.
            if (quorum && work.excluded() > 0 && !work.writes().isEmpty() && work.participants().contains(nodeName)) {
                batch.put(hintKey(id.gtrid()), Codec.encodeHint(new Codec.Hint(id.gtrid(), work.participants(), work.excluded(),
                        new ArrayList<>(work.writes().keySet()), List.of())));
            }
            if (deleteRecord) {
                batch.delete(Codec.prepareKey(id));
            }
        });
    }

    // ---- quorum mode: tombstones, catch-up hints -----------------------------------------------

    private static byte[] tombstoneKey(byte[] dataKey) {
        return concat(new byte[] { KeySpace.TOMBSTONE }, dataKey);
    }

    private static byte[] hintKey(Bytes gtrid) {
        return concat(new byte[] { KeySpace.HINT }, gtrid.unsafeArray());
    }

    /** A tombstone: the deleted key's last version, and when it was deleted (wall clock, for clean-up). */
    private static byte[] tombstoneValue(Bytes version, long deletedAtMillis) {
        return Codec.encodeValue(version, java.nio.ByteBuffer.allocate(8).putLong(deletedAtMillis).array());
    }

    /** The version a key was deleted at (quorum mode), or {@code null}. */
    public Bytes tombstoneOf(Bytes internalKey) {
        byte[] raw = db.get(tombstoneKey(internalKey.unsafeArray()));
        return raw == null ? null : Codec.decodeValue(raw).version();
    }

    /** The greatest commit stamp of a key: of its live version, or of its deletion (quorum mode). */
    public long stampOf(Bytes internalKey) {
        Versioned v = get(internalKey);
        if (v != null) {
            return io.quarkiverse.level2pc.core.Stamps.stampOf(v.version());
        }
        Bytes t = tombstoneOf(internalKey);
        return t == null ? 0 : io.quarkiverse.level2pc.core.Stamps.stampOf(t);
    }

    /** Whether a catch-up hint for the transaction {@code gtrid} is on record (it committed here without some nodes). */
    public boolean hasHint(Bytes gtrid) {
        return db.get(hintKey(gtrid)) != null;
    }

    /** Every catch-up hint on record. */
    public List<Codec.Hint> hints() {
        List<Codec.Hint> result = new ArrayList<>();
        forEachWithPrefix(new byte[] { KeySpace.HINT }, (gtrid, value) -> result.add(Codec.decodeHint(Bytes.wrap(gtrid), value)));
        return result;
    }

    /** The state of {@code key} for a node catching up: its live version and value, or its tombstone, or nothing. */
    public Codec.KeyState stateOf(Bytes key) {
        Versioned v = get(key);
        if (v != null) {
            return new Codec.KeyState(key, v.version(), v.value());
        }
        Bytes t = tombstoneOf(key);
        return new Codec.KeyState(key, t == null ? Bytes.EMPTY : t, null);
    }

    /**
     * Node {@code name} applied the hints {@code gtrids}: each is deleted once every node it was missed by
     * caught up. Not synced: a hint that reappears after a crash is only sent again (applying it twice is a
     * no-op, stamps decide).
     */
    public void caughtUp(String name, List<Bytes> gtrids) {
        write(batch -> {
            for (Bytes g : gtrids) {
                byte[] raw = db.get(hintKey(g));
                if (raw == null) {
                    continue;
                }
                Codec.Hint h = Codec.decodeHint(g, raw);
                if (!h.missedBy(name)) {
                    continue;
                }
                List<String> done = new ArrayList<>(h.caughtUp());
                done.add(name);
                if (done.size() >= h.excluded()) {
                    batch.delete(hintKey(g));
                } else {
                    batch.put(hintKey(g), Codec.encodeHint(new Codec.Hint(g, h.participants(), h.excluded(), h.keys(), done)));
                }
            }
        }, false);
    }

    /**
     * Applies what a node catching up learned, in one atomic, synced batch: each key's newer state (a value,
     * or a deletion kept as a tombstone) and the prepare records of branches it adopts.
     */
    public void applyCatchUp(List<Codec.KeyState> newer, List<Codec.PrepareRecord> adopted) {
        long now = System.currentTimeMillis();
        write(batch -> {
            for (Codec.KeyState k : newer) {
                byte[] key = k.key().unsafeArray();
                if (k.value() == null) {
                    batch.delete(key);
                    batch.put(tombstoneKey(key), tombstoneValue(k.version(), now));
                } else {
                    batch.put(key, Codec.encodeValue(k.version(), k.value()));
                    batch.delete(tombstoneKey(key));
                }
            }
            for (Codec.PrepareRecord r : adopted) {
                batch.put(Codec.prepareKey(r.branch()), Codec.encodePrepare(r.branch(), r.work()));
            }
        });
    }

    /**
     * Deletes tombstones older than {@code cutoffMillis} whose key no catch-up hint names; returns how many.
     * Only called while the node is current: a tombstone is needed to refuse a late prepare with an older
     * stamp (bounded by the prepare timeout), to tell a catch-up that the key was deleted later than what a
     * source holds, and, while a hint names its key, to tell a node that missed the deletion.
     */
    public int sweepTombstones(long cutoffMillis) {
        // A key a catch-up hint names keeps its tombstone until the hint is gone: the node that missed the
        // deletion learns it from this tombstone, however long it was away.
        java.util.Set<Bytes> hinted = new java.util.HashSet<>();
        for (Codec.Hint h : hints()) {
            hinted.addAll(h.keys());
        }
        List<byte[]> old = new ArrayList<>();
        forEachWithPrefix(new byte[] { KeySpace.TOMBSTONE }, (key, value) -> {
            byte[] at = Codec.decodeValue(value).value();
            if (at.length == 8 && java.nio.ByteBuffer.wrap(at).getLong() < cutoffMillis && !hinted.contains(Bytes.wrap(key))) {
                old.add(tombstoneKey(key));
            }
        });
        if (!old.isEmpty()) {
            write(batch -> old.forEach(batch::delete), false);
        }
        return old.size();
    }

    private static final String HEURISTIC = "heuristic/";

    private static byte[] heuristicKey(BranchId id) {
        return concat(KeySpace.metaKey(HEURISTIC), Codec.encodeBranch(id));
    }

    private static byte[] concat(byte[] prefix, byte[] suffix) {
        byte[] k = Arrays.copyOf(prefix, prefix.length + suffix.length);
        System.arraycopy(suffix, 0, k, prefix.length, suffix.length);
        return k;
    }

    /** Calls {@code action} with the rest of the key and the value of every entry whose key starts with {@code prefix}. */
    private void forEachWithPrefix(byte[] prefix, java.util.function.BiConsumer<byte[], byte[]> action) {
        try (DBIterator it = db.iterator()) {
            for (it.seek(prefix); it.hasNext();) {
                Map.Entry<byte[], byte[]> e = it.next();
                byte[] k = e.getKey();
                if (k.length < prefix.length || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
                    break;
                }
                action.accept(Arrays.copyOfRange(k, prefix.length, k.length), e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Records, synced, that an operator decided a branch by hand (a heuristic decision), before it is
     * carried out: the record outlives the branch so a coordinator that decided otherwise is told.
     */
    public void recordHeuristic(BranchId id, boolean committed, long atMillis) {
        byte[] value = ((committed ? "COMMITTED " : "ROLLED_BACK ") + atMillis).getBytes(StandardCharsets.UTF_8);
        write(batch -> batch.put(heuristicKey(id), value));
    }

    /** Drops a heuristic record once the coordinator has forgotten it. */
    public void deleteHeuristic(BranchId id) {
        write(batch -> batch.delete(heuristicKey(id)));
    }

    /** Every heuristic decision on record. */
    public Map<BranchId, io.quarkiverse.level2pc.core.Outcome> loadHeuristics() {
        Map<BranchId, io.quarkiverse.level2pc.core.Outcome> result = new java.util.HashMap<>();
        forEachWithPrefix(KeySpace.metaKey(HEURISTIC), (branch, value) -> result.put(Codec.decodeBranch(branch),
                new String(value, StandardCharsets.UTF_8).startsWith("COMMITTED")
                        ? io.quarkiverse.level2pc.core.Outcome.COMMITTED
                        : io.quarkiverse.level2pc.core.Outcome.ROLLED_BACK));
        return result;
    }

    /** Every prepare record on disk, in key order. */
    public List<Codec.PrepareRecord> loadPrepared() {
        List<Codec.PrepareRecord> records = new ArrayList<>();
        byte[] prefix = { KeySpace.PREPARE };
        forEachWithPrefix(prefix, (branch, value) -> {
            Codec.PrepareRecord r = Codec.decodePrepare(value);
            if (!Arrays.equals(Codec.prepareKey(r.branch()), concat(prefix, branch))) {
                throw new StoreCorruptedException("prepare record stored under a key that does not match its branch " + r.branch());
            }
            records.add(r);
        });
        return records;
    }

    /**
     * An ordered cursor over committed entries with {@code from <= key < to} ({@code to == null}:
     * unbounded) read from one LevelDB snapshot: a transaction's writes are seen entirely or not at
     * all. The caller must close it.
     */
    public Cursor scan(byte[] from, byte[] to) {
        Snapshot snapshot = db.getSnapshot();
        DBIterator it = db.iterator(new ReadOptions().snapshot(snapshot));
        it.seek(from);
        return new Cursor(snapshot, it, to);
    }

    /** An entry of a scan: the internal key and the decoded value. */
    public record Entry(byte[] key, Versioned value) {
    }

    public static final class Cursor implements java.util.Iterator<Entry>, Closeable {
        private final Snapshot snapshot;
        private final DBIterator it;
        private final byte[] to;
        private Entry next;
        private boolean done;

        Cursor(Snapshot snapshot, DBIterator it, byte[] to) {
            this.snapshot = snapshot;
            this.it = it;
            this.to = to;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                if (it.hasNext()) {
                    Map.Entry<byte[], byte[]> e = it.next();
                    if (to == null || Arrays.compareUnsigned(e.getKey(), to) < 0) {
                        next = new Entry(e.getKey(), Codec.decodeValue(e.getValue()));
                    } else {
                        done = true;
                    }
                } else {
                    done = true;
                }
            }
            return next != null;
        }

        @Override
        public Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Entry e = next;
            next = null;
            return e;
        }

        @Override
        public void close() {
            done = true;
            closeQuietly(it);
            closeQuietly(snapshot);
        }
    }

    private interface BatchFiller {
        void fill(Ops batch);
    }

    /** The writes of one caller, collected on its own thread before they join a group commit. */
    private static final class Ops {
        final List<byte[]> keys = new ArrayList<>(4);
        /** {@code null} marks a delete. */
        final List<byte[]> values = new ArrayList<>(4);

        void put(byte[] key, byte[] value) {
            keys.add(key);
            values.add(requireNonNull(value, "value is null"));
        }

        void delete(byte[] key) {
            keys.add(key);
            values.add(null);
        }
    }

    /** One caller waiting for its writes to be applied (and synced) by a group commit. */
    private static final class Pending {
        final Ops ops;
        final boolean durable;
        boolean done;
        RuntimeException failure;

        Pending(Ops ops, boolean durable) {
            this.ops = ops;
            this.durable = durable;
        }
    }

    private static final WriteOptions UNSYNCED = new WriteOptions().sync(false);
    private final java.util.concurrent.locks.ReentrantLock writer = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.ArrayDeque<Pending> queue = new java.util.ArrayDeque<>();
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong groups = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Applies one caller's writes atomically and, with {@code sync} on, durably, before returning. Group
     * commit: callers that arrive while a write is being synced queue up; the next one to take the writer
     * lock applies every queued caller's writes in ONE LevelDB batch and ONE sync, in arrival order, and
     * each queued caller returns once the group that carried its writes has been written. Every caller's
     * writes are still all-or-nothing (a group is one atomic batch); a failed group fails each of its
     * callers.
     */
    private void write(BatchFiller filler) {
        write(filler, true);
    }

    /** @param durable whether the caller needs its writes synced (when the store syncs at all) */
    private void write(BatchFiller filler, boolean durable) {
        if (closed) {
            throw new IllegalStateException("the store in " + dir + " is closed");
        }
        Ops ops = new Ops();
        filler.fill(ops);
        Pending mine = new Pending(ops, durable);
        synchronized (queue) {
            queue.add(mine);
        }
        writer.lock();
        try {
            if (!mine.done) {
                List<Pending> group;
                synchronized (queue) {
                    group = new ArrayList<>(queue);
                    queue.clear();
                }
                writeGroup(group);
            }
        } finally {
            writer.unlock();
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    private void writeGroup(List<Pending> group) {
        RuntimeException failure = null;
        WriteBatch batch = db.createWriteBatch();
        try {
            for (Pending p : group) {
                for (int i = 0; i < p.ops.keys.size(); i++) {
                    byte[] v = p.ops.values.get(i);
                    if (v == null) {
                        batch.delete(p.ops.keys.get(i));
                    } else {
                        batch.put(p.ops.keys.get(i), v);
                    }
                }
            }
            if (closed) {
                throw new IllegalStateException("the store in " + dir + " is closed");
            }
            boolean durable = group.stream().anyMatch(p -> p.durable);
            db.write(batch, durable ? writeOptions : UNSYNCED);
            writes.addAndGet(group.size());
            groups.incrementAndGet();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            closeQuietly(batch);
        }
        for (Pending p : group) {
            p.failure = failure;
            p.done = true;
        }
    }

    /** How many callers' writes were applied, and in how many (synced) LevelDB writes: group commit at work. */
    public long[] writeStats() {
        return new long[] { writes.get(), groups.get() };
    }

    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            // Waits for a group commit in progress: its callers get their answer before the files close.
            writer.lock();
            try {
                db.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close LevelDB in " + dir, e);
            } finally {
                writer.unlock();
            }
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // best effort: nothing useful to do when releasing a snapshot or iterator fails
        }
    }
}
