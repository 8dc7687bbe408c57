package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.iq80.leveldb.DB;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Store contract on iq80 LevelDB in a temporary directory, and what only LevelStore does. */
class LevelStoreContractTest extends StoreContractTest {

    @TempDir
    Path dir;

    private int stores;

    @Override
    protected Store newStore() {
        return LevelStore.open(dir.resolve("store-" + stores++), true, 100);
    }

    @Test
    void whatWasWrittenSurvivesCloseAndReopen() {
        Path at = dir.resolve("reopened");
        try (LevelStore store = LevelStore.open(at, true, 100)) {
            write(store, new WriteOps().put(b("a"), b("1")).put(b("b"), b("2")));
            store.write(new WriteOps().put(b("c"), b("3")), false).join();
        }

        try (LevelStore store = LevelStore.open(at, true, 100)) {
            assertThat(scan(store, new byte[0], null)).containsExactly("a=1", "b=2", "c=3");
        }
    }

    /**
     * The log goes through a file channel, synced by fdatasync: iq80's memory-mapped writer leaves a synced record that
     * straddles two of its 1 MiB regions partly unsynced (and costs more CPU). This JVM sets no {@code leveldb.mmap}.
     */
    @Test
    void theLogIsWrittenThroughAFileChannelUnlessTheJvmSaysOtherwise() throws Exception {
        assertThat(System.getProperty(LevelStore.MMAP_PROPERTY)).as("set by LevelStore.open or not at all").isIn(null, "false");
        List<DB> opened = new ArrayList<>();
        try (LevelStore store = LevelStore.open(dir.resolve("log-writer"), true, 100, db -> {
            opened.add(db);
            return db;
        })) {
            write(store, new WriteOps().put(b("a"), b("1")));
            java.lang.reflect.Field log = opened.get(0).getClass().getDeclaredField("log");
            log.setAccessible(true);
            assertThat(log.get(opened.get(0)).getClass().getSimpleName()).isEqualTo("FileChannelLogWriter");
            assertThat(org.iq80.leveldb.impl.Iq80DBFactory.USE_MMAP).isFalse();
        }
    }

    @Test
    void openingTheSameDirectoryTwiceInOneJvmFailsAndLeavesTheFirstStoreWorking() {
        Path at = dir.resolve("twice");
        try (LevelStore first = LevelStore.open(at, true, 100)) {
            assertThatThrownBy(() -> LevelStore.open(at, true, 100).close()).isInstanceOf(RuntimeException.class);

            write(first, new WriteOps().put(b("a"), b("1")));
            assertThat(str(first.get(b("a")))).isEqualTo("1");
        }
    }

    @Test
    void aClosedStoreNamesItsDirectory() {
        LevelStore store = LevelStore.open(dir.resolve("named"), true, 100);
        store.close();

        assertThat(store.location()).isEqualTo(dir.resolve("named").toString());
        assertThatThrownBy(() -> store.write(new WriteOps().put(b("a"), b("1")), true).join())
                .isInstanceOf(CompletionException.class).hasMessageContaining(dir.resolve("named").toString());
    }

    /** Group commit through LevelDB: writes queued behind a LevelDB write in progress share the next one. */
    @Test
    void writesQueuedBehindALevelDbWriteShareTheNextOne() throws Exception {
        CountDownLatch firstEntered = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger dbWrites = new AtomicInteger();
        try (LevelStore store = LevelStore.open(dir.resolve("group"), true, 100,
                db -> holdingFirstWrite(db, firstEntered, releaseFirst, dbWrites))) {
            CompletableFuture<Void> first = store.write(new WriteOps().put(b("k0"), b("v")), true);
            assertThat(firstEntered.await(30, TimeUnit.SECONDS)).isTrue();

            List<CompletableFuture<Void>> rest = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                rest.add(store.write(new WriteOps().put(b("k" + i), b("v")), true));
            }
            assertThat(rest).noneMatch(CompletableFuture::isDone);
            assertThat(first).isNotDone();

            releaseFirst.countDown();
            first.get(30, TimeUnit.SECONDS);
            CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

            assertThat(dbWrites.get()).as("the first write, then ONE for all six queued").isEqualTo(2);
            assertThat(store.stats()).isEqualTo(new Store.WriteStats(7, 2));
            assertThat(scan(store, new byte[0], null)).hasSize(7);
        }
    }

    /**
     * A failing disk: the write that fails is reported with its cause, and every later write is refused
     * even once the disk would take it (the failed write may have torn LevelDB's log); reads go on; opened
     * again, the store has every acknowledged write and takes writes again.
     */
    @Test
    void afterAFailedWriteTheStoreRefusesWritesKeepsReadingAndReopensWhole() {
        Path at = dir.resolve("failing");
        AtomicInteger failNext = new AtomicInteger();
        try (LevelStore store = LevelStore.open(at, true, 100, db -> failingWrites(db, failNext))) {
            write(store, new WriteOps().put(b("a"), b("1")));
            failNext.set(1);
            assertThatThrownBy(() -> store.write(new WriteOps().put(b("b"), b("2")), true).join())
                    .hasRootCauseInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("No space left on device").hasMessageContaining(at.toString());
            assertThat(failNext.get()).as("the failing write reached LevelDB").isZero();

            assertThatThrownBy(() -> store.write(new WriteOps().put(b("c"), b("3")), true).join())
                    .hasCauseInstanceOf(StoreFailedException.class)
                    .hasMessageContaining("takes no writes since a write failed").hasMessageContaining("No space left on device")
                    .hasMessageContaining("restart the node");
            assertThat(store.failure()).hasMessageContaining("No space left on device");
            assertThat(str(store.get(b("a")))).isEqualTo("1");
            assertThat(scan(store, new byte[0], null)).containsExactly("a=1");
        }
        try (LevelStore store = LevelStore.open(at, true, 100)) {
            assertThat(store.failure()).isNull();
            write(store, new WriteOps().put(b("d"), b("4")));
            assertThat(scan(store, new byte[0], null)).containsExactly("a=1", "d=4");
        }
    }

    /**
     * iq80 refuses every call, reads included, once one of its background writes (a compaction on a full
     * disk) failed: the store then stops taking writes itself and serves reads of what it holds.
     */
    @Test
    void aFailedBackgroundWriteStopsWritesButNotReads() throws Exception {
        Path at = dir.resolve("background");
        AtomicReference<DB> raw = new AtomicReference<>();
        try (LevelStore store = LevelStore.open(at, true, 100, db -> {
            raw.set(db);
            return db;
        })) {
            write(store, new WriteOps().put(b("a"), b("1")).put(b("b"), b("2")));
            // What iq80's compaction thread records when it cannot write a table (DbImpl.backgroundCall).
            java.lang.reflect.Field f = org.iq80.leveldb.impl.DbImpl.class.getDeclaredField("backgroundException");
            f.setAccessible(true);
            f.set(raw.get(), new java.io.IOException("No space left on device"));
            assertThatThrownBy(() -> raw.get().get(b("a"))).as("iq80 itself refuses reads now")
                    .isInstanceOf(org.iq80.leveldb.impl.DbImpl.BackgroundProcessingException.class);

            assertThat(str(store.get(b("a")))).isEqualTo("1");
            assertThat(scan(store, new byte[0], null)).containsExactly("a=1", "b=2");
            assertThat(store.failure()).hasMessageContaining("No space left on device");
            assertThatThrownBy(() -> store.write(new WriteOps().put(b("c"), b("3")), true).join())
                    .hasCauseInstanceOf(StoreFailedException.class).hasMessageContaining("takes no writes");
        }
    }

    private static DB failingWrites(DB db, AtomicInteger failNext) {
        return (DB) Proxy.newProxyInstance(DB.class.getClassLoader(), new Class<?>[] { DB.class }, (proxy, method, args) -> {
            if (method.getName().equals("write") && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new org.iq80.leveldb.DBException(new java.io.IOException("No space left on device"));
            }
            try {
                return method.invoke(db, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
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
}
