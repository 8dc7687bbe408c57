package io.quarkiverse.level2pc.storage;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.Snapshot;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.Iq80DBFactory;

/**
 * The {@link Store} over iq80 LevelDB (pure Java). Writes go through a {@link GroupCommit}: concurrent
 * writers share one LevelDB write and one sync. With {@code sync} off (the {@code quarkus.level-2pc.sync}
 * property) no write is ever synced: a machine crash may then lose the last writes (a process crash does
 * not: they are in the operating system's buffers).
 */
public final class LevelStore implements Store {

    private static final WriteOptions SYNCED = new WriteOptions().sync(true);
    private static final WriteOptions UNSYNCED = new WriteOptions().sync(false);

    private final DB db;
    private final Path dir;
    private final boolean syncing;
    private final GroupCommit writer;
    private volatile boolean closed;

    private LevelStore(DB db, Path dir, boolean syncing) {
        this.db = db;
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

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public byte[] get(byte[] key) {
        checkOpen();
        return db.get(key);
    }

    @Override
    public CompletableFuture<Void> write(WriteOps ops, boolean sync) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the store in " + dir + " is closed"));
        }
        return writer.submit(ops, sync);
    }

    private void writeBatch(WriteOps ops, boolean sync) throws IOException {
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
        Snapshot snapshot = db.getSnapshot();
        DBIterator it = db.iterator(new ReadOptions().snapshot(snapshot));
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
