package io.quarkiverse.level2pc.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Store} SPI contract, held by every implementation: a subclass opens an empty store. Keys are
 * unsigned byte strings; a write is atomic and visible once its future completed; a scan is ordered,
 * bounded {@code [from, to)} and reads one snapshot.
 */
abstract class StoreContractTest {

    private final List<Store> opened = new ArrayList<>();

    /** A new, empty, open store. */
    protected abstract Store newStore();

    protected Store open() {
        Store s = newStore();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Store::close);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static void write(Store store, WriteOps ops) {
        store.write(ops, true).orTimeout(30, TimeUnit.SECONDS).join();
    }

    /** Every entry of {@code [from, to)} as "key=value". */
    static List<String> scan(Store store, byte[] from, byte[] to) {
        List<String> seen = new ArrayList<>();
        try (Store.Cursor c = store.scan(from, to)) {
            while (c.hasNext()) {
                Map.Entry<byte[], byte[]> e = c.next();
                seen.add(str(e.getKey()) + "=" + str(e.getValue()));
            }
        }
        return seen;
    }

    @Test
    void aPutIsReadBackAndADeleteRemovesIt() {
        Store store = open();
        assertThat(store.get(b("k"))).as("absent").isNull();

        write(store, new WriteOps().put(b("k"), b("v1")));
        assertThat(str(store.get(b("k")))).isEqualTo("v1");

        write(store, new WriteOps().put(b("k"), b("v2")));
        assertThat(str(store.get(b("k")))).isEqualTo("v2");

        write(store, new WriteOps().delete(b("k")));
        assertThat(store.get(b("k"))).isNull();
    }

    @Test
    void anEmptyValueIsAValueNotAnAbsence() {
        Store store = open();

        write(store, new WriteOps().put(b("k"), new byte[0]));

        assertThat(store.get(b("k"))).isEmpty();
    }

    @Test
    void unsyncedWritesAreVisibleOnceTheirFutureCompleted() {
        Store store = open();

        store.write(new WriteOps().put(b("k"), b("v")), false).orTimeout(30, TimeUnit.SECONDS).join();

        assertThat(str(store.get(b("k")))).isEqualTo("v");
    }

    @Test
    void deletingAnAbsentKeyIsANoOp() {
        Store store = open();

        write(store, new WriteOps().delete(b("nope")).put(b("k"), b("v")));

        assertThat(scan(store, b(""), null)).containsExactly("k=v");
    }

    @Test
    void aBatchAppliesAllOfItsOperations() {
        Store store = open();
        write(store, new WriteOps().put(b("gone"), b("x")));

        write(store, new WriteOps().put(b("a"), b("1")).put(b("b"), b("2")).delete(b("gone")));

        assertThat(scan(store, b(""), null)).containsExactly("a=1", "b=2");
    }

    @Test
    void aLaterOperationOnTheSameKeyInOneBatchWins() {
        Store store = open();
        write(store, new WriteOps().put(b("d"), b("old")));

        write(store, new WriteOps().put(b("a"), b("1")).put(b("a"), b("2"))
                .put(b("b"), b("1")).delete(b("b"))
                .delete(b("d")).put(b("d"), b("new")));

        assertThat(str(store.get(b("a")))).isEqualTo("2");
        assertThat(store.get(b("b"))).isNull();
        assertThat(str(store.get(b("d")))).isEqualTo("new");
    }

    @Test
    void aScanIsInUnsignedKeyOrder() {
        Store store = open();
        byte[] high = { 'k', (byte) 0x80 };
        byte[] low = { 'k', 0x7F };
        write(store, new WriteOps().put(high, b("high")).put(b("k"), b("k")).put(low, b("low")).put(b("j"), b("j")));

        List<byte[]> keys = new ArrayList<>();
        try (Store.Cursor c = store.scan(new byte[0], null)) {
            c.forEachRemaining(e -> keys.add(e.getKey()));
        }

        assertThat(keys).containsExactly(b("j"), b("k"), low, high);
    }

    @Test
    void aScanIncludesFromAndExcludesTo() {
        Store store = open();
        write(store, new WriteOps().put(b("a"), b("1")).put(b("b"), b("2")).put(b("c"), b("3")).put(b("d"), b("4")));

        assertThat(scan(store, b("b"), b("d"))).containsExactly("b=2", "c=3");
        assertThat(scan(store, b("bb"), b("c"))).as("bounds between keys").isEmpty();
        assertThat(scan(store, b("b"), b("b"))).as("an empty range").isEmpty();
        assertThat(scan(store, b("c"), null)).as("unbounded").containsExactly("c=3", "d=4");
        assertThat(scan(store, b("e"), null)).isEmpty();
        assertThat(scan(store, new byte[0], b("b"))).containsExactly("a=1");
    }

    @Test
    void aScanReadsTheSnapshotOfWhenItOpenedNotLaterWrites() {
        Store store = open();
        write(store, new WriteOps().put(b("a"), b("1")).put(b("b"), b("1")).put(b("c"), b("1")));

        List<String> seen = new ArrayList<>();
        try (Store.Cursor c = store.scan(new byte[0], null)) {
            write(store, new WriteOps().put(b("a"), b("2")).delete(b("b")).put(b("bb"), b("new")).put(b("d"), b("new")));
            c.forEachRemaining(e -> seen.add(str(e.getKey()) + "=" + str(e.getValue())));
        }

        assertThat(seen).containsExactly("a=1", "b=1", "c=1");
        assertThat(scan(store, new byte[0], null)).containsExactly("a=2", "bb=new", "c=1", "d=new");
    }

    @Test
    void aScanStartedMidwaySeesNoWriteMadeAfterItOpened() {
        Store store = open();
        write(store, new WriteOps().put(b("a"), b("1")).put(b("z"), b("1")));

        try (Store.Cursor c = store.scan(new byte[0], null)) {
            assertThat(str(c.next().getKey())).isEqualTo("a");
            write(store, new WriteOps().put(b("m"), b("new")).delete(b("z")));

            assertThat(c.hasNext()).isTrue();
            assertThat(str(c.next().getKey())).as("the deleted key is still in the snapshot; the new one is not").isEqualTo("z");
            assertThat(c.hasNext()).isFalse();
        }
    }

    /** Writes are atomic: a concurrent scan sees all of a write or nothing of it. */
    @Test
    void aConcurrentScanSeesEachWriteEntirelyOrNotAtAll() throws Exception {
        Store store = open();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            int i = 0;
            for (; i < 300 && !stop.get(); i++) {
                byte[] v = b(Integer.toString(i));
                store.write(new WriteOps().put(b("x"), v).put(b("y"), v).put(b("z"), v), false).join();
            }
            return i;
        });
        int scans = 0;
        try {
            while (!writer.isDone() || scans < 5) {
                List<String> values = new ArrayList<>();
                try (Store.Cursor c = store.scan(new byte[0], null)) {
                    c.forEachRemaining(e -> values.add(str(e.getValue())));
                }
                assertThat(values.stream().distinct()).as("scan %d saw a partial write: %s", scans, values).hasSizeLessThanOrEqualTo(1);
                assertThat(values.size()).isIn(0, 3);
                scans++;
            }
        } finally {
            stop.set(true);
        }
        assertThat(writer.get(30, TimeUnit.SECONDS)).isEqualTo(300);
    }

    @Test
    void aClosedStoreRefusesReadsWritesAndScans() {
        Store store = open();
        write(store, new WriteOps().put(b("k"), b("v")));
        assertThat(store.isOpen()).isTrue();

        store.close();

        assertThat(store.isOpen()).isFalse();
        assertThatThrownBy(() -> store.get(b("k"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> store.scan(new byte[0], null)).isInstanceOf(IllegalStateException.class);
        CompletableFuture<Void> late = store.write(new WriteOps().put(b("k"), b("w")), true);
        assertThatThrownBy(() -> late.orTimeout(30, TimeUnit.SECONDS).join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
        store.close(); // idempotent
    }

    @Test
    void statsCountTheWritesAndTheStoreWritesThatCarriedThem() {
        Store store = open();
        Store.WriteStats before = store.stats();
        assertThat(before).isEqualTo(new Store.WriteStats(0, 0));

        for (int i = 0; i < 5; i++) {
            store.write(new WriteOps().put(b("k" + i), b("v")), i % 2 == 0).orTimeout(30, TimeUnit.SECONDS).join();
        }

        Store.WriteStats after = store.stats();
        assertThat(after.writes()).isEqualTo(5);
        assertThat(after.groups()).as("one write at a time: each in its own store write").isEqualTo(5);
    }

    @Test
    void concurrentWritesAreAllCountedInAtMostAsManyGroups() {
        Store store = open();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(store.write(new WriteOps().put(b("k" + i), b("v")), true));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).orTimeout(30, TimeUnit.SECONDS).join();

        assertThat(store.stats().writes()).isEqualTo(50);
        assertThat(store.stats().groups()).isBetween(1L, 50L);
        assertThat(scan(store, new byte[0], null)).hasSize(50);
    }

    @Test
    void itNamesWhereItLives() {
        assertThat(open().location()).isNotBlank();
    }
}
