package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;

/** The node's records over a real LevelDB in a temporary directory: commits, prepare records, decisions, heuristics. */
class NodeStoreTest {

    static final BranchId T1 = branch("tx-1");
    static final BranchId T2 = branch("tx-2");
    static final BranchId T3 = branch("tx-3");
    static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);

    @TempDir
    Path dir;

    private final List<NodeStore> opened = new ArrayList<>();

    NodeStore open() {
        NodeStore s = new NodeStore(LevelStore.open(dir, true, 100));
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(NodeStore::close);
    }

    static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    static Bytes k(String db, String key) {
        return KeySpace.dataKey(KeySpace.dbPrefix(db), key.getBytes(StandardCharsets.UTF_8));
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static <T> T done(CompletableFuture<T> f) {
        return f.orTimeout(30, TimeUnit.SECONDS).join();
    }

    static void commit(NodeStore store, BranchId id, TxWork w) {
        done(store.commit(id, w, false, null));
    }

    private static List<String> userKeys(NodeStore store, String db) {
        Bytes prefix = KeySpace.dbPrefix(db);
        List<String> keys = new ArrayList<>();
        try (NodeStore.Cursor c = store.scan(prefix.toArray(), Range.endOfPrefix(prefix.toArray()))) {
            while (c.hasNext()) {
                keys.add(str(KeySpace.userKey(prefix, c.next().key())));
            }
        }
        return keys;
    }

    @Test
    void commitStampsEveryWriteWithTheGlobalTransactionIdAsItsVersion() {
        NodeStore store = open();

        commit(store, T1, work().put(k("a"), value("1")).put(k("b"), value("2")).build());

        assertThat(store.get(k("a")).version()).isEqualTo(T1.gtrid());
        assertThat(str(store.get(k("a")).value())).isEqualTo("1");
        assertThat(store.versionOf(k("b"))).isEqualTo(T1.gtrid());
        assertThat(store.stampOf(k("b"))).as("full replication: no stamp").isZero();
    }

    @Test
    void anAbsentKeyHasNoValueAndTheEmptyVersion() {
        NodeStore store = open();

        assertThat(store.get(k("nope"))).isNull();
        assertThat(store.versionOf(k("nope"))).isEqualTo(Bytes.EMPTY);
        assertThat(store.stateOf(k("nope")).version()).isEqualTo(Bytes.EMPTY);
        assertThat(store.stateOf(k("nope")).value()).isNull();
    }

    @Test
    void aNullWriteDeletesTheKeyAndLeavesNoTombstoneInFullReplication() {
        NodeStore store = open();
        commit(store, T1, work().put(k("a"), value("1")).put(k("b"), value("2")).build());

        commit(store, T2, work().delete(k("a")).put(k("b"), value("3")).build());

        assertThat(store.get(k("a"))).isNull();
        assertThat(store.tombstoneOf(k("a"))).isNull();
        assertThat(store.versionOf(k("b"))).isEqualTo(T2.gtrid());
    }

    @Test
    void commitAppliesTheWritesAndRemovesThePrepareRecordInOneSyncedBatch() {
        NodeStore store = open();
        TxWork w = work().put(k("a"), value("1")).delete(k("b")).build();
        done(store.persistPrepare(T1, w));
        assertThat(store.loadPrepared()).hasSize(1);
        long groups = store.writeStats().groups();

        done(store.commit(T1, w, true, null));

        assertThat(store.loadPrepared()).isEmpty();
        assertThat(str(store.get(k("a")).value())).isEqualTo("1");
        assertThat(store.writeStats().groups()).as("one store write").isEqualTo(groups + 1);
    }

    @Test
    void aCommitWithoutARecordLeavesThePrepareRecordsOfOtherBranchesAlone() {
        NodeStore store = open();
        done(store.persistPrepare(T1, work().put(k("a"), value("1")).build()));

        commit(store, T2, work().put(k("b"), value("2")).build());

        assertThat(store.loadPrepared()).extracting(PrepareRecord::branch).containsExactly(T1);
    }

    @Test
    void deletePrepareRemovesOnlyTheRecordAndAppliesNothing() {
        NodeStore store = open();
        done(store.persistPrepare(T1, work().put(k("a"), value("1")).build()));
        done(store.persistPrepare(T2, work().put(k("b"), value("2")).build()));

        done(store.deletePrepare(T1));

        assertThat(store.loadPrepared()).extracting(PrepareRecord::branch).containsExactly(T2);
        assertThat(store.get(k("a"))).isNull();
    }

    @Test
    void prepareRecordsReloadAfterCloseAndReopenWithEveryField() {
        TxWork w1 = work().put(k("a"), value("1")).delete(k("b")).read(k("c"), T3.gtrid()).read(k("d"), Bytes.EMPTY)
                .coordinator("node-b").priority(1_764_000_000_000L).build();
        TxWork w2 = work().put(k("orders", "o-1"), new byte[] { 0, (byte) 0xFF }).quorum(77, List.of("a", "b"), 1).build();
        BranchId other = new BranchId(42, Bytes.wrap(new byte[] { 0, 1, (byte) 0xFF }), Bytes.EMPTY);
        NodeStore store = open();
        done(store.persistPrepare(T1, w1));
        done(store.persistPrepare(other, w2));
        store.close();

        List<PrepareRecord> records = open().loadPrepared();

        assertThat(records).hasSize(2);
        assertSameWork(records.stream().filter(r -> r.branch().equals(T1)).findFirst().orElseThrow().work(), w1);
        assertSameWork(records.stream().filter(r -> r.branch().equals(other)).findFirst().orElseThrow().work(), w2);
    }

    @Test
    void committedDataSurvivesCloseAndReopen() {
        NodeStore store = open();
        commit(store, T1, work().put(k("a"), value("1")).build());
        store.close();

        assertThat(open().versionOf(k("a"))).isEqualTo(T1.gtrid());
    }

    @Test
    void loadPreparedSkipsDataAndMetadata() {
        NodeStore store = open();
        store.claimNodeName("node-a");
        done(store.commit(T1, work().put(k("a"), value("1")).build(), false, new Decision(T1.gtrid(), Map.of("p", T1))));
        done(store.recordHeuristic(T2, true, 1));

        assertThat(store.loadPrepared()).isEmpty();
    }

    @Test
    void aCommitRecordsTheCoordinatorsDecisionWithItsWrites() {
        NodeStore store = open();
        Decision d = new Decision(T1.gtrid(), Map.of("http://127.0.0.1:8081", T1, "http://127.0.0.1:8082", T1));

        done(store.commit(T1, work().put(k("a"), value("1")).build(), false, d));
        store.close();
        NodeStore reopened = open();

        assertThat(reopened.loadDecisions()).containsExactly(d);
        assertThat(reopened.versionOf(k("a"))).isEqualTo(T1.gtrid());
    }

    @Test
    void aSettledDecisionIsNotWritten() {
        NodeStore store = open();

        done(store.commit(T1, work().put(k("a"), value("1")).build(), false, new Decision(T1.gtrid(), Map.of())));

        assertThat(store.loadDecisions()).isEmpty();
    }

    @Test
    void aDecisionShrinksAsPeersAcknowledgeAndIsDeletedWhenSettled() {
        NodeStore store = open();
        Decision d = new Decision(T1.gtrid(), Map.of("p1", T1, "p2", T1));
        Decision other = new Decision(T2.gtrid(), Map.of("p1", T2));
        done(store.commit(T1, work().put(k("a"), value("1")).build(), false, d));
        done(store.commit(T2, work().put(k("b"), value("1")).build(), false, other));

        done(store.updateDecision(d.without("p1")));
        assertThat(store.loadDecisions()).containsExactlyInAnyOrder(d.without("p1"), other);

        done(store.updateDecision(d.without("p1").without("p2")));
        assertThat(store.loadDecisions()).containsExactly(other);
    }

    @Test
    void heuristicDecisionsAreRecordedDurablyAndDropped() {
        NodeStore store = open();
        done(store.recordHeuristic(T1, true, 1000));
        done(store.recordHeuristic(T2, false, 2000));
        store.close();
        NodeStore reopened = open();

        assertThat(reopened.loadHeuristics()).containsOnly(Map.entry(T1, Outcome.COMMITTED), Map.entry(T2, Outcome.ROLLED_BACK));

        done(reopened.deleteHeuristic(T1));
        assertThat(reopened.loadHeuristics()).containsOnlyKeys(T2);
        assertThat(reopened.loadDecisions()).as("heuristics are not decisions").isEmpty();
    }

    @Test
    void aScanReturnsOneDatabasesKeysInUnsignedOrderAndNeverAnotherDatabases() {
        NodeStore store = open();
        done(store.persistPrepare(T3, work().put(k("a", "prepared-only"), value("x")).build()));
        store.claimNodeName("node-a");
        String high = new String(new byte[] { (byte) 0xC3, (byte) 0xA9 }, StandardCharsets.UTF_8); // "é": 0xC3 > 'z'
        commit(store, T1, work()
                .put(k("a", "2"), value("a2")).put(k("a", "10"), value("a10")).put(k("a", high), value("ae"))
                .put(k("ab", "1"), value("ab1"))
                .put(k("b", "1"), value("b1")).put(k("b", "0"), value("b0"))
                .put(k("d"), value("default-d")).put(k("c"), value("default-c"))
                .build());

        assertThat(userKeys(store, "a")).containsExactly("10", "2", high);
        assertThat(userKeys(store, "ab")).containsExactly("1");
        assertThat(userKeys(store, "b")).containsExactly("0", "1");
        assertThat(userKeys(store, KeySpace.DEFAULT_DB)).containsExactly("c", "d");
        assertThat(userKeys(store, "empty")).isEmpty();
    }

    @Test
    void aScanDecodesValuesWithTheirVersionsFromOneSnapshot() {
        NodeStore store = open();
        commit(store, T1, work().put(k("a"), value("1")).build());
        commit(store, T2, work().put(k("b"), value("2")).build());

        try (NodeStore.Cursor c = store.scan(DEFAULT.toArray(), Range.endOfPrefix(DEFAULT.toArray()))) {
            commit(store, T3, work().put(k("c"), value("3")).delete(k("a")).build());
            NodeStore.Entry a = c.next();
            NodeStore.Entry b = c.next();
            assertThat(c.hasNext()).as("the later commit is not seen").isFalse();
            assertThat(a.value().version()).isEqualTo(T1.gtrid());
            assertThat(str(b.value().value())).isEqualTo("2");
            assertThat(b.value().version()).isEqualTo(T2.gtrid());
        }
    }

    @Test
    void claimNodeNameBindsTheStoreToItsFirstNameAndRefusesAnother() {
        NodeStore store = open();
        assertThat(store.claimNodeName("node-a")).as("a new store accepts any name").isNull();
        store.close(); // the claim is written without waiting; closing finishes it

        NodeStore reopened = open();
        assertThat(reopened.claimNodeName("node-b")).as("the claim is durable").isEqualTo("node-a");
        assertThat(reopened.claimNodeName("node-a")).isNull();
    }

    @Test
    void writesAfterCloseAreRefusedNamingTheDirectory() {
        NodeStore store = open();
        store.close();

        assertThat(store.isOpen()).isFalse();
        assertThatThrownBy(() -> done(store.persistPrepare(T1, work().put(k("a"), value("1")).build())))
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining(dir.toString());
        assertThat(store.location()).isEqualTo(dir.toString());
        store.close(); // idempotent
    }

    /** Plants bytes this release never writes, through the raw store. */
    private static void plant(NodeStore store, byte[] key, byte[] value) {
        done(store.store().write(new WriteOps().put(key, value), true));
    }

    @Test
    void loadPreparedRejectsAnUndecodablePrepareRecord() {
        NodeStore store = open();
        plant(store, KeySpace.prepareKey(T1), new byte[] { 1, 0, 0 });

        assertThatThrownBy(store::loadPrepared).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("prepare record");
    }

    @Test
    void loadPreparedRejectsARecordStoredUnderAnotherBranchsKey() {
        NodeStore store = open();
        plant(store, KeySpace.prepareKey(T2), Codec.encodePrepare(T1, work().put(k("a"), value("1")).build()));

        assertThatThrownBy(store::loadPrepared).isInstanceOf(StoreCorruptedException.class).hasMessageContaining(T1.toString());
    }

    @Test
    void readingACorruptValueFailsWithStoreCorrupted() {
        NodeStore store = open();
        plant(store, k("a").toArray(), new byte[] { 7, 7, 7 });

        assertThatThrownBy(() -> store.get(k("a"))).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("format");
        try (NodeStore.Cursor c = store.scan(DEFAULT.toArray(), null)) {
            assertThatThrownBy(c::next).as("in a scan too").isInstanceOf(StoreCorruptedException.class);
        }
    }

    @Test
    void aCorruptDecisionFailsWithStoreCorrupted() {
        NodeStore store = open();
        plant(store, KeySpace.decisionKey(T1.gtrid()), new byte[] { 0, 0, 0, 9 });

        assertThatThrownBy(store::loadDecisions).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("commit decision");
    }
}
