package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.impl.Iq80DBFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

/** The storage contract, on a real iq80 LevelDB in a temporary directory. */
class LevelStoreTest {

    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final BranchId T3 = branch("tx-3");
    private static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);

    @TempDir
    Path dir;

    private final List<LevelStore> opened = new ArrayList<>();

    private LevelStore open() {
        LevelStore s = LevelStore.open(dir, true, 100);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(LevelStore::close);
    }

    private static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    private static Bytes k(String db, String key) {
        return KeySpace.dataKey(KeySpace.dbPrefix(db), key.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static List<String> userKeys(LevelStore store, String db) {
        Bytes prefix = KeySpace.dbPrefix(db);
        List<String> keys = new ArrayList<>();
        try (LevelStore.Cursor c = store.scan(prefix.toArray(), Bytes.prefixSuccessor(prefix.toArray()))) {
            while (c.hasNext()) {
                keys.add(str(KeySpace.userKey(prefix, c.next().key())));
            }
        }
        return keys;
    }

    @Test
    void commitStampsEveryWriteWithTheGlobalTransactionIdAsItsVersion() {
        LevelStore store = open();

        store.commit(T1, work().put(k("a"), value("1")).put(k("b"), value("2")).build(), false);

        assertThat(store.get(k("a")).version()).isEqualTo(T1.gtrid());
        assertThat(str(store.get(k("a")).value())).isEqualTo("1");
        assertThat(store.versionOf(k("b"))).isEqualTo(T1.gtrid());
    }

    @Test
    void anAbsentKeyHasNoValueAndTheEmptyVersion() {
        LevelStore store = open();

        assertThat(store.get(k("nope"))).isNull();
        assertThat(store.versionOf(k("nope"))).isEqualTo(Bytes.EMPTY);
    }

    @Test
    void aNullWriteDeletesTheKey() {
        LevelStore store = open();
        store.commit(T1, work().put(k("a"), value("1")).put(k("b"), value("2")).build(), false);

        store.commit(T2, work().delete(k("a")).put(k("b"), value("3")).build(), false);

        assertThat(store.get(k("a"))).isNull();
        assertThat(store.versionOf(k("a"))).isEqualTo(Bytes.EMPTY);
        assertThat(store.versionOf(k("b"))).isEqualTo(T2.gtrid());
    }

    @Test
    void commitAppliesTheWritesAndRemovesThePrepareRecordTogether() {
        LevelStore store = open();
        TxWork w = work().put(k("a"), value("1")).delete(k("b")).build();
        store.persistPrepare(T1, w);
        assertThat(store.loadPrepared()).hasSize(1);

        store.commit(T1, w, true);

        assertThat(store.loadPrepared()).isEmpty();
        assertThat(str(store.get(k("a")).value())).isEqualTo("1");
    }

    @Test
    void aOnePhaseCommitLeavesThePrepareRecordsOfOtherBranchesAlone() {
        LevelStore store = open();
        store.persistPrepare(T1, work().put(k("a"), value("1")).build());

        store.commit(T2, work().put(k("b"), value("2")).build(), false);

        assertThat(store.loadPrepared()).extracting(Codec.PrepareRecord::branch).containsExactly(T1);
    }

    @Test
    void deletePrepareRemovesOnlyTheRecordAndAppliesNothing() {
        LevelStore store = open();
        store.persistPrepare(T1, work().put(k("a"), value("1")).build());
        store.persistPrepare(T2, work().put(k("b"), value("2")).build());

        store.deletePrepare(T1);

        assertThat(store.loadPrepared()).extracting(Codec.PrepareRecord::branch).containsExactly(T2);
        assertThat(store.get(k("a"))).isNull();
    }

    @Test
    void aPrepareRecordRoundTripsThroughLoadPreparedAfterCloseAndReopen() {
        TxWork w1 = work().put(k("a"), value("1")).delete(k("b")).read(k("c"), T3.gtrid()).read(k("d"), Bytes.EMPTY)
                .coordinator("https://node-b:8443").build();
        TxWork w2 = work().put(k("orders", "o-1"), new byte[] { 0, (byte) 0xFF }).build();
        BranchId other = new BranchId(42, Bytes.wrap(new byte[] { 0, 1, (byte) 0xFF }), Bytes.EMPTY);
        LevelStore store = open();
        store.persistPrepare(T1, w1);
        store.persistPrepare(other, w2);
        store.close();

        List<Codec.PrepareRecord> records = open().loadPrepared();

        assertThat(records).hasSize(2);
        Codec.PrepareRecord r1 = records.stream().filter(r -> r.branch().equals(T1)).findFirst().orElseThrow();
        Codec.PrepareRecord r2 = records.stream().filter(r -> r.branch().equals(other)).findFirst().orElseThrow();
        assertSameWork(r1.work(), w1);
        assertSameWork(r2.work(), w2);
    }

    @Test
    void committedDataSurvivesCloseAndReopen() {
        LevelStore store = open();
        store.commit(T1, work().put(k("a"), value("1")).build(), false);
        store.close();

        assertThat(open().versionOf(k("a"))).isEqualTo(T1.gtrid());
    }

    @Test
    void loadPreparedSkipsDataAndMetadata() {
        LevelStore store = open();
        store.claimNodeName("node-a");
        store.commit(T1, work().put(k("a"), value("1")).build(), false);

        assertThat(store.loadPrepared()).isEmpty();
    }

    @Test
    void aScanReturnsOneDatabasesKeysInUnsignedOrderAndNeverAnotherDatabases() {
        LevelStore store = open();
        store.persistPrepare(T3, work().put(k("a", "prepared-only"), value("x")).build());
        store.claimNodeName("node-a");
        String high = new String(new byte[] { (byte) 0xC3, (byte) 0xA9 }, StandardCharsets.UTF_8); // "é": 0xC3 > 'z'
        store.commit(T1, work()
                .put(k("a", "2"), value("a2")).put(k("a", "10"), value("a10")).put(k("a", high), value("ae"))
                .put(k("ab", "1"), value("ab1"))
                .put(k("b", "1"), value("b1")).put(k("b", "0"), value("b0"))
                .put(k("d"), value("default-d")).put(k("c"), value("default-c"))
                .build(), false);

        assertThat(userKeys(store, "a")).containsExactly("10", "2", high);
        assertThat(userKeys(store, "ab")).containsExactly("1");
        assertThat(userKeys(store, "b")).containsExactly("0", "1");
        assertThat(userKeys(store, KeySpace.DEFAULT_DB)).containsExactly("c", "d");
        assertThat(userKeys(store, "empty")).isEmpty();
    }

    @Test
    void aScanReturnsValuesWithTheirVersions() {
        LevelStore store = open();
        store.commit(T1, work().put(k("a"), value("1")).build(), false);
        store.commit(T2, work().put(k("b"), value("2")).build(), false);

        try (LevelStore.Cursor c = store.scan(k("").toArray(), Bytes.prefixSuccessor(DEFAULT.toArray()))) {
            LevelStore.Entry a = c.next();
            LevelStore.Entry b = c.next();
            assertThat(c.hasNext()).isFalse();
            assertThat(a.value().version()).isEqualTo(T1.gtrid());
            assertThat(str(b.value().value())).isEqualTo("2");
            assertThat(b.value().version()).isEqualTo(T2.gtrid());
        }
    }

    @Test
    void aScanSeesTheSnapshotTakenWhenItOpenedNotLaterCommits() {
        LevelStore store = open();
        store.commit(T1, work().put(k("a"), value("1")).put(k("b"), value("1")).put(k("c"), value("1")).build(), false);

        try (LevelStore.Cursor c = store.scan(DEFAULT.toArray(), Bytes.prefixSuccessor(DEFAULT.toArray()))) {
            store.commit(T2, work().put(k("a"), value("2")).delete(k("b")).put(k("bb"), value("new")).put(k("d"), value("new")).build(),
                    false);

            List<String> seen = new ArrayList<>();
            while (c.hasNext()) {
                LevelStore.Entry e = c.next();
                seen.add(str(KeySpace.userKey(DEFAULT, e.key())) + "=" + str(e.value().value()) + "@" + e.value().version());
            }
            assertThat(seen).containsExactly("a=1@tx-1", "b=1@tx-1", "c=1@tx-1");
        }
        assertThat(userKeys(store, KeySpace.DEFAULT_DB)).containsExactly("a", "bb", "c", "d");
    }

    /** Commits are atomic batches: a concurrent snapshot sees all of a commit or nothing of it. */
    @Test
    void aConcurrentScanSeesEachCommitEntirelyOrNotAtAll() throws Exception {
        LevelStore store = LevelStore.open(dir, false, 100);
        opened.add(store);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            int i = 0;
            for (; i < 300 && !stop.get(); i++) {
                String v = Integer.toString(i);
                // Every commit rewrites the three keys with one value and a fresh version.
                store.commit(branch("w" + i), work().put(k("x"), value(v)).put(k("y"), value(v)).put(k("z"), value(v)).build(), false);
            }
            return i;
        });
        int scans = 0;
        try {
            while (!writer.isDone() || scans < 5) {
                List<String> versions = new ArrayList<>();
                try (LevelStore.Cursor c = store.scan(DEFAULT.toArray(), Bytes.prefixSuccessor(DEFAULT.toArray()))) {
                    c.forEachRemaining(e -> versions.add(e.value().version() + "/" + str(e.value().value())));
                }
                assertThat(versions.stream().distinct()).as("scan %d saw a partial commit: %s", scans, versions).hasSizeLessThanOrEqualTo(1);
                assertThat(versions.size()).isIn(0, 3);
                scans++;
            }
        } finally {
            stop.set(true);
        }
        assertThat(writer.get(30, TimeUnit.SECONDS)).isEqualTo(300);
    }

    @Test
    void claimNodeNameBindsTheStoreToItsFirstNameAndRefusesAnother() {
        LevelStore store = open();
        assertThat(store.claimNodeName("node-a")).as("a new store accepts any name").isNull();
        assertThat(store.claimNodeName("node-a")).isNull();
        assertThat(store.claimNodeName("node-b")).isEqualTo("node-a");
        store.close();

        LevelStore reopened = open();
        assertThat(reopened.claimNodeName("node-b")).as("the claim is durable").isEqualTo("node-a");
        assertThat(reopened.claimNodeName("node-a")).isNull();
    }

    @Test
    void writesAfterCloseAreRefusedNamingTheDirectory() {
        LevelStore store = open();
        store.close();

        assertThat(store.isOpen()).isFalse();
        assertThatThrownBy(() -> store.persistPrepare(T1, work().put(k("a"), value("1")).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(dir.toString());
        store.close(); // idempotent
    }

    @Test
    void openingTheSameDirectoryTwiceInOneJvmFailsAndLeavesTheFirstStoreWorking() {
        LevelStore first = open();

        assertThatThrownBy(() -> opened.add(LevelStore.open(dir, true, 100))).isInstanceOf(RuntimeException.class);

        first.commit(T1, work().put(k("a"), value("1")).build(), false);
        assertThat(first.versionOf(k("a"))).isEqualTo(T1.gtrid());
    }

    /** Raw access to the same LevelDB, to plant bytes this release never writes. */
    private void withRawDb(RawAction action) throws IOException {
        Options options = new Options().createIfMissing(true).compressionType(CompressionType.NONE);
        try (DB db = Iq80DBFactory.factory.open(dir.toFile(), options)) {
            action.run(db);
        }
    }

    private interface RawAction {
        void run(DB db) throws IOException;
    }

    @Test
    void loadPreparedRejectsAnUndecodablePrepareRecord() throws IOException {
        open().close();
        withRawDb(db -> db.put(Codec.prepareKey(T1), new byte[] { 1, 0, 0 }));

        LevelStore store = open();

        assertThatThrownBy(store::loadPrepared).isInstanceOf(StoreCorruptedException.class);
    }

    @Test
    void loadPreparedRejectsARecordStoredUnderAnotherBranchsKey() throws IOException {
        open().close();
        withRawDb(db -> db.put(Codec.prepareKey(T2), Codec.encodePrepare(T1, work().put(k("a"), value("1")).build())));

        LevelStore store = open();

        assertThatThrownBy(store::loadPrepared).isInstanceOf(StoreCorruptedException.class).hasMessageContaining(T1.toString());
    }

    @Test
    void readingACorruptValueFailsWithStoreCorrupted() throws IOException {
        open().close();
        withRawDb(db -> db.put(k("a").toArray(), new byte[] { 7, 7, 7 }));

        LevelStore store = open();

        assertThatThrownBy(() -> store.get(k("a"))).isInstanceOf(StoreCorruptedException.class);
    }
}
