package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.NodeStoreTest.done;
import static io.quarkiverse.level2pc.storage.NodeStoreTest.k;
import static io.quarkiverse.level2pc.storage.NodeStoreTest.str;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CoreFixtures.WorkBuilder;
import io.quarkiverse.level2pc.core.Hint;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;

/** Quorum mode's records: stamped versions, tombstones, catch-up hints, catch-up answers applied, old tombstones swept. */
class NodeStoreQuorumTest {

    private static final List<String> AB = List.of("a", "b");

    @TempDir
    Path dir;

    private NodeStore store;

    @BeforeEach
    void open() {
        store = new NodeStore(LevelStore.open(dir, true, 100));
        store.claimNodeName("a");
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Quorum-mode work of nodes a and b, leaving {@code excluded} nodes out. */
    private static TxWork quorum(long stamp, int excluded, WorkBuilder b) {
        return b.quorum(stamp, AB, excluded).build();
    }

    private void commit(String gtrid, long stamp, int excluded, WorkBuilder b) {
        done(store.commit(branch(gtrid), quorum(stamp, excluded, b), false, null));
    }

    private static Bytes v(long stamp, String gtrid) {
        return Stamps.version(stamp, Bytes.utf8(gtrid));
    }

    /** Writes complete in submission order: once this one is done, every earlier write (a sweep's) is too. */
    private void flushed() {
        done(store.store().write(new WriteOps(), false));
    }

    @Test
    void aQuorumCommitStampsItsVersions() {
        commit("g1", 100, 0, work().put(k("x"), value("1")));

        assertThat(store.versionOf(k("x"))).isEqualTo(v(100, "g1"));
        assertThat(store.stampOf(k("x"))).isEqualTo(100);
        assertThat(store.stateOf(k("x")).stamp()).isEqualTo(100);
    }

    @Test
    void aQuorumDeletionLeavesATombstoneThatALaterWriteRemoves() {
        commit("g1", 100, 0, work().put(k("x"), value("1")));

        commit("g2", 200, 0, work().delete(k("x")));

        assertThat(store.get(k("x"))).isNull();
        assertThat(store.tombstoneOf(k("x"))).isEqualTo(v(200, "g2"));
        assertThat(store.stampOf(k("x"))).as("the stamp of the deletion").isEqualTo(200);
        KeyState state = store.stateOf(k("x"));
        assertThat(state.version()).isEqualTo(v(200, "g2"));
        assertThat(state.value()).isNull();

        commit("g3", 300, 0, work().put(k("x"), value("3")));

        assertThat(store.tombstoneOf(k("x"))).isNull();
        assertThat(store.stampOf(k("x"))).isEqualTo(300);
    }

    @Test
    void aCommitLeavesAKeyThatACatchUpAlreadyBroughtToALaterOrTheSameStamp() {
        done(store.applyCatchUp(List.of(new KeyState(k("x"), v(200, "later"), value("later")),
                new KeyState(k("y"), v(150, "g1"), value("same"))), List.of()));

        commit("g1", 150, 0, work().put(k("x"), value("stale")).put(k("y"), value("mine")).put(k("z"), value("new")));

        assertThat(str(store.get(k("x")).value())).isEqualTo("later");
        assertThat(store.versionOf(k("x"))).isEqualTo(v(200, "later"));
        assertThat(str(store.get(k("y")).value())).as("equal stamp: already this very version").isEqualTo("same");
        assertThat(store.versionOf(k("z"))).isEqualTo(v(150, "g1"));
    }

    @Test
    void aFullReplicationCommitNeverSkipsAKey() {
        commit("g1", 200, 0, work().put(k("x"), value("1")));

        done(store.commit(branch("g2"), work().put(k("x"), value("2")).build(), false, null));

        assertThat(store.versionOf(k("x"))).isEqualTo(Bytes.utf8("g2"));
    }

    @Test
    void aParticipantKeepsAHintForACommitThatLeftNodesOut() {
        commit("g1", 100, 1, work().put(k("x"), value("1")).delete(k("y")));

        assertThat(store.hasHint(Bytes.utf8("g1"))).isTrue();
        assertThat(store.hints()).containsExactly(new Hint(Bytes.utf8("g1"), AB, 1, List.of(k("x"), k("y")), List.of()));
    }

    @Test
    void noHintWhenNobodyWasLeftOutOrNothingWasWritten() {
        commit("g1", 100, 0, work().put(k("x"), value("1")));
        commit("g2", 101, 1, work().read(k("x"), v(100, "g1")));

        assertThat(store.hints()).isEmpty();
    }

    @Test
    void aNodeThatAdoptedTheBranchKeepsNoHint() {
        store.close();
        store = new NodeStore(LevelStore.open(dir.resolve("c"), true, 100));
        store.claimNodeName("c"); // not a participant: it was left out and caught up

        commit("g1", 100, 1, work().put(k("x"), value("1")));

        assertThat(store.hints()).isEmpty();
        assertThat(store.versionOf(k("x"))).isEqualTo(v(100, "g1"));
    }

    @Test
    void aHintIsDeletedOnceEveryNodeLeftOutCaughtUp() {
        commit("g1", 100, 2, work().put(k("x"), value("1")));
        Bytes g1 = Bytes.utf8("g1");

        done(store.caughtUp("c", List.of(g1)));
        assertThat(store.hints()).singleElement().extracting(Hint::caughtUp).isEqualTo(List.of("c"));

        done(store.caughtUp("c", List.of(g1)));
        done(store.caughtUp("b", List.of(g1, Bytes.utf8("unknown"))));
        assertThat(store.hints()).as("a repeat, a participant and an unknown hint change nothing").singleElement()
                .extracting(Hint::caughtUp).isEqualTo(List.of("c"));

        done(store.caughtUp("d", List.of(g1)));
        assertThat(store.hasHint(g1)).isFalse();
    }

    @Test
    void aCatchUpIsAppliedInOneBatchWithTheBranchesItAdopts() {
        commit("g0", 50, 0, work().delete(k("revived")));
        BranchId adopted = branch("g9");
        TxWork inFlight = quorum(400, 1, work().put(k("p"), value("pending")).priority(12));
        long groups = store.writeStats().groups();

        done(store.applyCatchUp(List.of(new KeyState(k("x"), v(300, "g3"), value("3")), new KeyState(k("gone"), v(310, "g4"), null),
                new KeyState(k("revived"), v(320, "g5"), value("back"))), List.of(new PrepareRecord(adopted, inFlight))));

        assertThat(store.writeStats().groups()).as("one store write").isEqualTo(groups + 1);
        assertThat(store.versionOf(k("x"))).isEqualTo(v(300, "g3"));
        assertThat(store.get(k("gone"))).isNull();
        assertThat(store.tombstoneOf(k("gone"))).isEqualTo(v(310, "g4"));
        assertThat(str(store.get(k("revived")).value())).isEqualTo("back");
        assertThat(store.tombstoneOf(k("revived"))).isNull();
        assertThat(store.loadPrepared()).singleElement().satisfies(r -> {
            assertThat(r.branch()).isEqualTo(adopted);
            assertSameWork(r.work(), inFlight);
        });
        assertThat(store.get(k("p"))).as("adopted, not applied").isNull();
    }

    @Test
    void sweepDeletesOldTombstonesExceptThoseAHintNames() {
        commit("g1", 100, 0, work().delete(k("old")));
        commit("g2", 101, 1, work().delete(k("hinted")));
        assertThat(store.tombstoneOf(k("old"))).isNotNull();

        assertThat(store.sweepTombstones(System.currentTimeMillis() - 3_600_000)).as("none is old enough").isZero();
        int swept = store.sweepTombstones(System.currentTimeMillis() + 1_000);
        flushed();

        assertThat(swept).isEqualTo(1);
        assertThat(store.tombstoneOf(k("old"))).isNull();
        assertThat(store.tombstoneOf(k("hinted"))).as("a node that missed the deletion still needs it").isEqualTo(v(101, "g2"));

        done(store.caughtUp("c", List.of(Bytes.utf8("g2"))));
        assertThat(store.sweepTombstones(System.currentTimeMillis() + 1_000)).isEqualTo(1);
        flushed();
        assertThat(store.tombstoneOf(k("hinted"))).isNull();
    }
}
