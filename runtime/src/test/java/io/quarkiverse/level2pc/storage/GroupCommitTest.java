package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.iq80.leveldb.DB;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;

/**
 * Group commit: writers that arrive while a synced write is in progress are applied together, in one
 * LevelDB write (one sync), and each returns only after that write.
 */
class GroupCommitTest {

    @TempDir
    Path dir;

    @Test
    void writersQueuedBehindASyncShareTheNextOne() throws Exception {
        CountDownLatch firstEntered = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger dbWrites = new AtomicInteger();
        try (LevelStore store = LevelStore.open(dir, true, 100, db -> holdingFirstWrite(db, firstEntered, releaseFirst, dbWrites))) {
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> store.persistPrepare(branch(0), txWork(0)));
            assertThat(firstEntered.await(30, TimeUnit.SECONDS)).isTrue();

            int queued = 6;
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<Void>> rest = new ArrayList<>();
            for (int i = 1; i <= queued; i++) {
                int tx = i;
                CompletableFuture<Void> f = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        store.persistPrepare(branch(tx), txWork(tx));
                        f.complete(null);
                    } catch (Throwable e) {
                        f.completeExceptionally(e);
                    }
                });
                t.start();
                threads.add(t);
                rest.add(f);
            }
            // Every later writer is parked on the writer lock behind the first (held) write.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING)) {
                assertThat(System.nanoTime()).as("writers parked behind the first write").isLessThan(deadline);
                Thread.onSpinWait();
            }
            assertThat(rest).noneMatch(CompletableFuture::isDone);

            releaseFirst.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Void> f : rest) {
                f.get(30, TimeUnit.SECONDS);
            }

            // The store saw: the first write, then ONE write for all six queued writers.
            assertThat(dbWrites.get()).isEqualTo(2);
            assertThat(store.writeStats()).containsExactly(1 + queued, 2);
            assertThat(store.loadPrepared()).hasSize(1 + queued);
        }
    }

    private static DB holdingFirstWrite(DB db, CountDownLatch entered, CountDownLatch release, AtomicInteger writes) {
        return (DB) Proxy.newProxyInstance(DB.class.getClassLoader(), new Class<?>[] { DB.class }, (proxy, method, args) -> {
            if (method.getName().equals("write") && writes.incrementAndGet() == 1) {
                entered.countDown();
                release.await(30, TimeUnit.SECONDS);
            }
            try {
                return method.invoke(db, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static BranchId branch(int i) {
        return new BranchId(131077, Bytes.utf8("group-" + i), Bytes.utf8("bq"));
    }

    private static io.quarkiverse.level2pc.core.TxWork txWork(int i) {
        return io.quarkiverse.level2pc.core.CoreFixtures.work().put("key-" + i, "value-" + i).coordinator("c").build();
    }

}
