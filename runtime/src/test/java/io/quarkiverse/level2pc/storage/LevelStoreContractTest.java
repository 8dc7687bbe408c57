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
