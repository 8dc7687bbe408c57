package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.storage.StoreContractTest.b;
import static io.quarkiverse.level2pc.storage.StoreContractTest.scan;
import static io.quarkiverse.level2pc.storage.StoreContractTest.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.Bytes;

/** What only the in-memory store does: it models durability across crashes, deferred flushes and faults. */
class MemoryStoreTest {

    /** A disk whose flushes run when the test says. */
    private static final class ManualDisk implements MemoryStore.Disk {
        final List<Runnable> flushes = new ArrayList<>();
        final List<Boolean> syncs = new ArrayList<>();

        @Override
        public void requestFlush(boolean sync, Runnable flush) {
            syncs.add(sync);
            flushes.add(flush);
        }

        void runAll() {
            List<Runnable> now = new ArrayList<>(flushes);
            flushes.clear();
            now.forEach(Runnable::run);
        }
    }

    private static final MemoryStore.Disk IMMEDIATE = (sync, flush) -> flush.run();

    private static CompletableFuture<Void> put(MemoryStore store, String k, String v, boolean sync) {
        return store.write(new WriteOps().put(b(k), b(v)), sync);
    }

    @Test
    void aCrashKeepsWhatASyncedWriteMadeDurableAndLosesTheUnsyncedWritesAfterIt() {
        MemoryStore store = MemoryStore.immediate("node");
        put(store, "a", "1", false).join();
        put(store, "b", "1", false).join();
        put(store, "c", "1", true).join(); // makes a and b durable too, as a log does
        put(store, "d", "1", false).join();
        store.write(new WriteOps().delete(b("a")), false).join();
        assertThat(scan(store, new byte[0], null)).as("before the crash").containsExactly("b=1", "c=1", "d=1");

        MemoryStore after = store.crash(IMMEDIATE, true);

        assertThat(scan(after, new byte[0], null)).containsExactly("a=1", "b=1", "c=1");
        assertThat(store.isOpen()).as("the crashed store is gone").isFalse();
        assertThatThrownBy(() -> store.get(b("a"))).isInstanceOf(IllegalStateException.class);
        assertThat(after.isOpen()).isTrue();
        assertThat(after.location()).isEqualTo("memory:node");
    }

    @Test
    void withoutAnySyncACrashLosesEverything() {
        MemoryStore store = MemoryStore.immediate("node");
        put(store, "a", "1", false).join();

        assertThat(store.crash(IMMEDIATE, true).contents()).isEmpty();
    }

    @Test
    void aDurableValueOverwrittenWithoutSyncComesBackAfterACrash() {
        MemoryStore store = MemoryStore.immediate("node");
        put(store, "a", "old", true).join();
        put(store, "a", "new", false).join();

        assertThat(str(store.crash(IMMEDIATE, true).get(b("a")))).isEqualTo("old");
    }

    @Test
    void writesNotFlushedYetAreLostInACrashAndTheirFuturesNeverComplete() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);
        CompletableFuture<Void> queued = put(store, "a", "1", true);
        assertThat(store.get(b("a"))).as("not visible before its flush").isNull();

        MemoryStore after = store.crash(IMMEDIATE, true);
        disk.runAll(); // a flush of the crashed store does nothing

        assertThat(after.contents()).isEmpty();
        assertThat(queued).isNotDone();
    }

    @Test
    void aCrashedStoreCanCrashAgainKeepingWhatBecameDurableInBetween() {
        MemoryStore first = MemoryStore.immediate("node");
        put(first, "a", "1", true).join();
        MemoryStore second = first.crash(IMMEDIATE, true);
        put(second, "b", "1", true).join();
        put(second, "c", "1", false).join();

        assertThat(scan(second.crash(IMMEDIATE, true), new byte[0], null)).containsExactly("a=1", "b=1");
    }

    @Test
    void writesQueuedWhileAFlushIsPendingAreAppliedTogetherInOneGroup() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);

        CompletableFuture<Void> w1 = put(store, "a", "1", false);
        CompletableFuture<Void> w2 = put(store, "b", "1", true);
        CompletableFuture<Void> w3 = store.write(new WriteOps().put(b("c"), b("1")).delete(b("a")), false);

        assertThat(disk.flushes).as("one flush requested for the three writes").hasSize(1);
        assertThat(w1).isNotDone();
        assertThat(store.stats()).isEqualTo(new Store.WriteStats(0, 0));

        disk.runAll();

        assertThat(w1).isCompleted();
        assertThat(w2).isCompleted();
        assertThat(w3).isCompleted();
        assertThat(store.stats()).isEqualTo(new Store.WriteStats(3, 1));
        assertThat(scan(store, new byte[0], null)).as("applied in submission order").containsExactly("b=1", "c=1");
        assertThat(scan(store.crash(IMMEDIATE, true), new byte[0], null)).as("the group was synced: one write of it asked")
                .containsExactly("b=1", "c=1");
    }

    @Test
    void aWriteAfterAFlushRequestsTheNextOne() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);
        put(store, "a", "1", false);
        disk.runAll();

        CompletableFuture<Void> next = put(store, "b", "1", true);

        assertThat(disk.flushes).hasSize(1);
        assertThat(disk.syncs).containsExactly(false, true);
        disk.runAll();
        assertThat(next).isCompleted();
        assertThat(store.stats()).isEqualTo(new Store.WriteStats(2, 2));
    }

    @Test
    void aFlushWithNothingQueuedDoesNothing() {
        MemoryStore store = MemoryStore.immediate("node");

        store.flush();

        assertThat(store.stats()).isEqualTo(new Store.WriteStats(0, 0));
    }

    @Test
    void closeFlushesWhatIsQueued() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);
        CompletableFuture<Void> queued = put(store, "a", "1", true);

        store.close();

        assertThat(queued).isCompleted();
        assertThat(store.isOpen()).isFalse();
    }

    @Test
    void aFailedFlushThatLostItsWritesAppliesNothingAndFailsEveryWriteOfItsGroup() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);
        put(store, "kept", "1", true);
        disk.runAll();
        store.faults((sync, group) -> MemoryStore.Fault.FAIL_LOST);
        CompletableFuture<Void> w1 = put(store, "a", "1", false);
        CompletableFuture<Void> w2 = put(store, "b", "1", true);

        disk.runAll();

        for (CompletableFuture<Void> w : List.of(w1, w2)) {
            assertThatThrownBy(w::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(StoreFailedException.class)
                    .hasMessageContaining("FAIL_LOST");
        }
        assertThat(scan(store, new byte[0], null)).containsExactly("kept=1");
        assertThat(store.stats()).as("not counted").isEqualTo(new Store.WriteStats(1, 1));
        assertThat(scan(store.crash(IMMEDIATE, true), new byte[0], null)).containsExactly("kept=1");
    }

    @Test
    void aFailedFlushWhoseDataReachedTheDiskFailsItsWritesYetKeepsThemDurably() {
        MemoryStore store = MemoryStore.immediate("node");
        put(store, "earlier", "1", false).join();
        store.faults((sync, group) -> MemoryStore.Fault.FAIL_APPLIED);

        CompletableFuture<Void> w = put(store, "a", "1", false);

        assertThatThrownBy(w::join).hasCauseInstanceOf(StoreFailedException.class).hasMessageContaining("FAIL_APPLIED");
        assertThat(str(store.get(b("a")))).as("visible although it failed").isEqualTo("1");
        assertThat(scan(store.crash(IMMEDIATE, true), new byte[0], null)).as("durable, with everything before it")
                .containsExactly("a=1", "earlier=1");
    }

    @Test
    void theFaultsHookIsAskedOncePerFlushWithTheGroupsSync() {
        ManualDisk disk = new ManualDisk();
        MemoryStore store = MemoryStore.on("node", disk);
        List<Boolean> asked = new ArrayList<>();
        store.faults((sync, group) -> {
            asked.add(sync);
            return MemoryStore.Fault.NONE;
        });
        put(store, "a", "1", false);
        put(store, "b", "1", true);
        disk.runAll();
        put(store, "c", "1", false);
        disk.runAll();

        assertThat(asked).containsExactly(true, false);
    }

    @Test
    void contentsIsACopy() {
        MemoryStore store = MemoryStore.immediate("node");
        put(store, "a", "1", true).join();

        store.contents().clear();

        assertThat(store.contents()).containsOnlyKeys(Bytes.utf8("a"));
    }
}
