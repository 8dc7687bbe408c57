package io.quarkiverse.level2pc.it.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.Iq80DBFactory;

/**
 * The same operations on a local, non-replicated iq80 LevelDB opened in the harness's JVM, with the
 * options the extension uses ({@code CompressionType.NONE}, paranoid checks) and every write synced
 * ({@code WriteOptions.sync(true)}): a put is one synced put, a batch one synced {@code WriteBatch}, a
 * get one {@code db.get}. Each client is a thread calling the database in a closed loop.
 */
final class Baseline implements AutoCloseable {

    private static final WriteOptions SYNC = new WriteOptions().sync(true);

    private final DB db;
    private final Keyspace space;

    Baseline(Path dir, Keyspace space) throws IOException {
        Files.createDirectories(dir);
        this.space = space;
        this.db = Iq80DBFactory.factory.open(dir.toFile(), new Options()
                .createIfMissing(true)
                .paranoidChecks(true)
                .compressionType(CompressionType.NONE));
        preload();
    }

    /** Every key of the key space, with {@code value(i)}, as the nodes are preloaded. */
    private void preload() throws IOException {
        for (int from = 0; from < space.keys; from += 1000) {
            try (WriteBatch batch = db.createWriteBatch()) {
                for (int i = from; i < Math.min(space.keys, from + 1000); i++) {
                    batch.put(bytes(Keyspace.key(i)), space.value(i).bytes());
                }
                db.write(batch, SYNC);
            }
        }
    }

    CellResult run(Workload workload, int clients, long seed, Duration warmup, Duration duration) throws InterruptedException {
        if (!workload.hasBaseline) {
            throw new IllegalArgumentException(workload + " has no LevelDB counterpart");
        }
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        Recorder[] recorders = new Recorder[clients];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            OpSource ops = new OpSource(workload, space, seed, clients, i);
            int index = i;
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                loop(ops, recorders[index]);
            }, "leveldb-client-" + i);
            t.start();
            threads.add(t);
        }
        ready.await();
        long windowStart = System.nanoTime() + warmup.toNanos();
        for (int i = 0; i < clients; i++) {
            recorders[i] = new Recorder(windowStart, windowStart + duration.toNanos());
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        return CellResult.merge(Target.LOCAL_LEVELDB, workload, clients, duration, List.of(recorders));
    }

    private void loop(OpSource ops, Recorder recorder) {
        while (true) {
            long t0 = System.nanoTime();
            if (t0 >= recorder.windowEnd) {
                return;
            }
            Op op = ops.next();
            try {
                execute(op);
                recorder.ok(t0, System.nanoTime());
            } catch (RuntimeException | IOException e) {
                recorder.error(System.nanoTime(), Recorder.errorKind(e));
            }
        }
    }

    private void execute(Op op) throws IOException {
        if (op instanceof Op.Put p) {
            db.put(bytes(p.key()), p.value().bytes(), SYNC);
        } else if (op instanceof Op.Batch b) {
            try (WriteBatch batch = db.createWriteBatch()) {
                for (Op.Put p : b.puts()) {
                    batch.put(bytes(p.key()), p.value().bytes());
                }
                db.write(batch, SYNC);
            }
        } else if (op instanceof Op.Get g) {
            if (db.get(bytes(g.key())) == null) {
                throw new IllegalStateException("key " + g.key() + " is missing");
            }
        } else {
            throw new UnsupportedOperationException(op + " has no LevelDB counterpart");
        }
    }

    @Override
    public void close() throws IOException {
        db.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
