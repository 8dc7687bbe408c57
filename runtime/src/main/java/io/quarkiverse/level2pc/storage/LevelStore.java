package io.quarkiverse.level2pc.storage;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.Snapshot;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.DbImpl;
import org.iq80.leveldb.impl.Iq80DBFactory;
import org.jboss.logging.Logger;

/**
 * The {@link Store} over iq80 LevelDB (pure Java). Writes go through a {@link GroupCommit}: concurrent
 * writers share one LevelDB write and one sync. With {@code sync} off (the {@code quarkus.level-2pc.sync}
 * property) no write is ever synced: a machine crash may then lose the last writes (a process crash does
 * not: they are in the operating system's buffers).
 *
 * <p>
 * <b>Fail-stop for writes.</b> Once a write failed (a full disk, an I/O error, a failed sync; in the
 * caller's write or in one of LevelDB's background writes) the store takes no more writes until it is
 * opened again: the failed write may have left a torn record at the end of LevelDB's log, and a record
 * appended after it could be dropped with it when the log is replayed. Opening the store again (a
 * restart of the node) replays the log up to the last whole record and starts a new one, so nothing
 * acknowledged is lost. Reads go on: iq80 refuses every call, reads too, once a background write failed,
 * and retries a failed compaction at once, again and again; so on the first failure the store suspends
 * iq80's compactions (nothing is written any more) and clears iq80's record of the failure, and committed
 * data can still be read (what LevelDB holds in memory and in its tables is intact: a failed write never
 * changes them).
 */
public final class LevelStore implements Store {

    private static final Logger LOG = Logger.getLogger(LevelStore.class);
    /** The system property iq80 reads once to choose memory-mapped files ({@code true}) or file channels. */
    public static final String MMAP_PROPERTY = "leveldb.mmap";
    private static final WriteOptions SYNCED = new WriteOptions().sync(true);
    private static final WriteOptions UNSYNCED = new WriteOptions().sync(false);
    /** iq80's {@code DbImpl.backgroundException} (null if it cannot be reached: reads then fail after a background failure). */
    private static final VarHandle BACKGROUND_FAILURE = backgroundFailureHandle();

    private final DB db;
    /** The undecorated iq80 database, whose record of a background failure reads clear. */
    private final DB raw;
    private final Path dir;
    private final boolean syncing;
    private final GroupCommit writer;
    private volatile boolean closed;
    /** The first failed write; from then on every write is refused. */
    private volatile Throwable failed;
    /** Whether iq80's compactions are suspended (after a failure); resumed before it is closed. */
    private volatile boolean compactionsSuspended;

    private LevelStore(DB db, DB raw, Path dir, boolean syncing) {
        this.db = db;
        this.raw = raw;
        this.dir = dir;
        this.syncing = syncing;
        this.writer = new GroupCommit(dir.toString(), this::writeBatch);
    }

    /**
     * Opens (creating if missing) the store in {@code dir}.
     *
     * @param sync whether durable writes are synced to disk before they complete
     */
    public static LevelStore open(Path dir, boolean sync, int maxOpenFiles) {
        return open(dir, sync, maxOpenFiles, UnaryOperator.identity());
    }

    /**
     * Opens the store with the LevelDB handle passed through {@code decorate} (tests record or fail
     * LevelDB calls through it).
     */
    public static LevelStore open(Path dir, boolean sync, int maxOpenFiles, UnaryOperator<DB> decorate) {
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
        preferFileChannels();
        try {
            DB raw = Iq80DBFactory.factory.open(dir.toFile(), options);
            return new LevelStore(decorate.apply(raw), raw, dir, sync);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open LevelDB in " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Unless the JVM was started with {@code -Dleveldb.mmap=...}, sets it to {@code false} before iq80's
     * {@code Iq80DBFactory} is initialised (it reads the property once, the first time a store is opened in this JVM, or in
     * a native executable at run time): its log is then written through a file channel and synced with
     * {@code fdatasync}, which syncs every earlier write of the file. Its memory-mapped log writer unmaps each full 1 MiB
     * region without syncing it and syncs only the region it writes in, so a synced record that straddles two regions is
     * not all on disk when the write returns (a power loss could tear it); and its {@code msync} cost 10 % of a 3-node
     * cluster's CPU at 64 clients (file channels: 21 % less CPU per write, measured).
     */
    static void preferFileChannels() {
        if (System.getProperty(MMAP_PROPERTY) == null) {
            System.setProperty(MMAP_PROPERTY, "false");
        }
    }

    public Path directory() {
        return dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public byte[] get(byte[] key) {
        checkOpen();
        return readThroughFailure(() -> db.get(key));
    }

    @Override
    public CompletableFuture<Void> write(WriteOps ops, boolean sync) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the store in " + dir + " is closed"));
        }
        Throwable f = failed;
        if (f != null) {
            return CompletableFuture.failedFuture(refusal(f));
        }
        return writer.submit(ops, sync);
    }

    /** Why the store takes no writes (the first failed write), or {@code null}. */
    public Throwable failure() {
        return failed;
    }

    private StoreFailedException refusal(Throwable f) {
        return new StoreFailedException("the store in " + dir + " takes no writes since a write failed (" + f
                + "); restart the node once the disk can be written again (the log is replayed: nothing acknowledged"
                + " is lost)", f);
    }

    private void writeBatch(WriteOps ops, boolean sync) throws IOException {
        Throwable f = failed;
        if (f != null) {
            throw refusal(f);
        }
        try {
            writeBatchUnchecked(ops, sync);
        } catch (Throwable t) {
            throw new StoreFailedException("writing to the store in " + dir + " failed: " + failedWith(t), t);
        }
    }

    /** Records the first failure (the store then takes no writes); returns what {@code t} says went wrong. */
    private Throwable failedWith(Throwable t) {
        Throwable cause = t instanceof DbImpl.BackgroundProcessingException && t.getCause() != null ? t.getCause() : t;
        synchronized (this) {
            if (failed != null) {
                return cause;
            }
            failed = cause;
        }
        LOG.errorf("The store in %s takes no more writes: a write failed (%s). Reads go on; restart the node once the"
                + " disk can be written again", dir, cause);
        if (raw instanceof DbImpl impl) {
            try {
                // Waits for a compaction under way to end, then holds iq80's compaction thread.
                impl.suspendCompactions();
                compactionsSuspended = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return cause;
    }

    /**
     * A read; if iq80 refuses it because one of its background writes failed, the store stops taking
     * writes (if it had not yet), clears that record and reads again.
     */
    private <T> T readThroughFailure(Supplier<T> read) {
        for (int attempt = 1;; attempt++) {
            try {
                return read.get();
            } catch (DbImpl.BackgroundProcessingException e) {
                failedWith(e);
                if (BACKGROUND_FAILURE == null || !(raw instanceof DbImpl) || attempt == 3) {
                    throw new StoreFailedException("the store in " + dir + " cannot be read after a failed background write ("
                            + e.getCause() + "); restart the node once the disk can be written again", e);
                }
                BACKGROUND_FAILURE.setVolatile(raw, (Throwable) null);
            }
        }
    }

    private static VarHandle backgroundFailureHandle() {
        try {
            return MethodHandles.privateLookupIn(DbImpl.class, MethodHandles.lookup())
                    .findVarHandle(DbImpl.class, "backgroundException", Throwable.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debugf(e, "iq80's background failure field is not accessible: reads fail after a failed background write");
            return null;
        }
    }

    /** The LevelDB write itself (the fault campaign's Byteman rules halt at its {@code DB.write} call: keep the name). */
    private void writeBatchUnchecked(WriteOps ops, boolean sync) throws IOException {
        WriteBatch batch = db.createWriteBatch();
        try {
            for (int i = 0; i < ops.size(); i++) {
                byte[] v = ops.value(i);
                if (v == null) {
                    batch.delete(ops.key(i));
                } else {
                    batch.put(ops.key(i), v);
                }
            }
            db.write(batch, sync && syncing ? SYNCED : UNSYNCED);
        } finally {
            batch.close();
        }
    }

    @Override
    public Cursor scan(byte[] from, byte[] to) {
        checkOpen();
        Snapshot snapshot = readThroughFailure(db::getSnapshot);
        DBIterator it = readThroughFailure(() -> db.iterator(new ReadOptions().snapshot(snapshot)));
        it.seek(from);
        return new SnapshotCursor(snapshot, it, to);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store in " + dir + " is closed");
        }
    }

    @Override
    public WriteStats stats() {
        return writer.stats();
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /** Finishes the writes already submitted, then closes LevelDB. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            writer.close();
            try {
                if (compactionsSuspended) {
                    ((DbImpl) raw).resumeCompactions(); // iq80's close waits for its compaction thread
                }
                db.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close LevelDB in " + dir, e);
            }
        }
    }

    private static final class SnapshotCursor implements Cursor {
        private final Snapshot snapshot;
        private final DBIterator it;
        private final byte[] to;
        private Map.Entry<byte[], byte[]> next;
        private boolean done;

        SnapshotCursor(Snapshot snapshot, DBIterator it, byte[] to) {
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
                        next = e;
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
        public Map.Entry<byte[], byte[]> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Map.Entry<byte[], byte[]> e = next;
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

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // best effort: nothing useful to do when releasing a snapshot or iterator fails
        }
    }
}
