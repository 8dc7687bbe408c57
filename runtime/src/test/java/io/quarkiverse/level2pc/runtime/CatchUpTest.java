package io.quarkiverse.level2pc.runtime;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CoreFixtures;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.Versioned;

/**
 * Quorum mode over real LevelDBs: commit stamps, tombstones, catch-up hints and the catch-up protocol between
 * local nodes "a", "b" and "c" (each in its own directory; the peer transport is played by the test).
 */
class CatchUpTest {

    private static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);
    private static final Bytes K1 = k("k1");
    private static final Bytes K2 = k("k2");
    private static final Bytes K3 = k("k3");
    private static final Bytes K4 = k("k4");
    private static final BranchId SEED = branch("seed");
    private static final BranchId T1 = branch("tx-1");
    private static final BranchId T2 = branch("tx-2");
    private static final BranchId T3 = branch("tx-3");
    private static final List<String> ALL = List.of("a", "b", "c");
    private static final List<String> WITHOUT_C = List.of("a", "b");

    @TempDir
    Path dir;

    private final List<LocalNode> nodes = new ArrayList<>();

    private LocalNode open(String name) {
        return open(name, name);
    }

    private LocalNode open(String name, String subdir) {
        LocalNode node = LocalNode.open(dir.resolve(subdir), name, true, 100, Duration.ofSeconds(10));
        nodes.add(node);
        return node;
    }

    @AfterEach
    void closeAll() {
        nodes.forEach(LocalNode::close);
    }

    private static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(Versioned v) {
        return v == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    private static TxWork quorum(long stamp, List<String> participants, int excluded, CoreFixtures.WorkBuilder b) {
        TxWork w = b.coordinator("http://a:8080").build();
        return new TxWork(w.writes(), w.reads(), w.coordinator(), stamp, participants, excluded);
    }

    private static void prepareAndCommit(LocalNode node, BranchId id, TxWork w) {
        assertThat(node.prepare(id, w)).isEqualTo(LocalNode.Vote.YES);
        assertThat(node.commit(id)).isEqualTo(LocalNode.Completion.DONE);
    }

    /** Commits the same quorum work on every node, all of them participants: k1 = k2 = v0 (k3 = v0 too). */
    private static long seed(LocalNode... on) {
        long s0 = on[0].nextStamp();
        TxWork seed = quorum(s0, ALL, 0, work().put(K1, value("v0")).put(K2, value("v0")).put(K3, value("v0")));
        for (LocalNode n : on) {
            prepareAndCommit(n, SEED, seed);
        }
        return s0;
    }

    // ---- a) a commit missed by c, caught up through the hint -----------------------------------

    @Test
    void aNodeLeftOutCatchesUpWithAPutAndADeleteAndTheHintIsDroppedOnceItCaughtUp() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        assertThat(a.store().hints()).as("a commit of every node leaves no hint").isEmpty();

        long s1 = a.nextStamp();
        assertThat(s1).isGreaterThan(s0);
        TxWork w1 = quorum(s1, WITHOUT_C, 1, work().put(K1, value("v1")).delete(K2));
        prepareAndCommit(a, T1, w1);
        Bytes v1 = Stamps.version(s1, T1.gtrid());

        assertThat(a.store().hints()).singleElement().satisfies(h -> {
            assertThat(h.gtrid()).isEqualTo(T1.gtrid());
            assertThat(h.keys()).containsExactly(K1, K2);
            assertThat(h.participants()).containsExactly("a", "b");
            assertThat(h.excluded()).isEqualTo(1);
            assertThat(h.caughtUp()).isEmpty();
        });
        assertThat(a.store().tombstoneOf(K2)).as("a keeps the deletion").isEqualTo(v1);
        assertThat(a.store().stampOf(K2)).isEqualTo(s1);
        assertThat(a.catchUpFor("b").keys()).as("b took part: nothing to catch up").isEmpty();

        Codec.CatchUp answer = a.catchUpFor("c");
        assertThat(answer.hints()).containsExactly(T1.gtrid());
        assertThat(answer.inFlight()).isEmpty();
        assertThat(answer.keys()).hasSize(2);
        assertThat(answer.keys().get(0).key()).isEqualTo(K1);
        assertThat(answer.keys().get(0).version()).isEqualTo(v1);
        assertThat(answer.keys().get(0).value()).isEqualTo(value("v1"));
        assertThat(answer.keys().get(1).key()).isEqualTo(K2);
        assertThat(answer.keys().get(1).version()).isEqualTo(v1);
        assertThat(answer.keys().get(1).value()).isNull();

        assertThat(c.applyCatchUp(List.of(answer))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(c.store().get(K1).version()).isEqualTo(v1);
        assertThat(c.store().get(K2)).isNull();
        assertThat(c.store().tombstoneOf(K2)).isEqualTo(v1);
        assertThat(c.store().stampOf(K2)).isEqualTo(s1);
        assertThat(str(c.store().get(K3))).as("a key no hint names is untouched").isEqualTo("v0");
        assertThat(c.nextStamp()).as("c's clock moved past what it caught up with").isGreaterThan(s1);

        a.caughtUp("c", answer.hints());

        assertThat(a.store().hints()).as("excluded was 1: one node caught up is enough").isEmpty();
        Codec.CatchUp again = a.catchUpFor("c");
        assertThat(again.keys()).isEmpty();
        assertThat(again.hints()).isEmpty();
    }

    @Test
    void aHintMissedByTwoNodesIsKeptUntilBothCaughtUp() {
        LocalNode a = open("a");
        seed(a);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), List.of("a", "b", "c"), 2, work().put(K1, value("v1"))));

        a.caughtUp("a", List.of(T1.gtrid())); // a took part: does not count
        a.caughtUp("d", List.of(T1.gtrid()));
        a.caughtUp("d", List.of(T1.gtrid())); // a duplicate does not count twice

        assertThat(a.store().hints()).singleElement().satisfies(h -> assertThat(h.caughtUp()).containsExactly("d"));
        assertThat(a.catchUpFor("d").keys()).isEmpty();
        assertThat(a.catchUpFor("e").keys()).extracting(Codec.KeyState::key).containsExactly(K1);

        a.caughtUp("e", List.of(T1.gtrid(), Bytes.utf8("unknown-gtrid")));

        assertThat(a.store().hints()).isEmpty();
    }

    @Test
    void aCommitOfEveryNodeLeavesNoHintAndOnlyQuorumDeletionsLeaveTombstones() {
        LocalNode a = open("a");
        seed(a);

        prepareAndCommit(a, T1, quorum(a.nextStamp(), ALL, 0, work().delete(K1)));
        prepareAndCommit(a, T2, work().delete(K2).build());

        assertThat(a.store().hints()).isEmpty();
        assertThat(a.store().tombstoneOf(K1)).as("quorum mode keeps every deletion").isNotNull();
        assertThat(a.store().tombstoneOf(K2)).as("full replication keeps none").isNull();
    }

    @Test
    void aPutRemovesTheTombstoneOfTheKey() {
        LocalNode a = open("a");
        seed(a);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), ALL, 0, work().delete(K1)));
        long s2 = a.nextStamp();

        prepareAndCommit(a, T2, quorum(s2, ALL, 0, work().put(K1, value("again"))));

        assertThat(a.store().tombstoneOf(K1)).isNull();
        assertThat(a.store().stampOf(K1)).isEqualTo(s2);
    }

    // ---- b) the local state wins when its stamp is greater ---------------------------------------

    @Test
    void aKeyWhoseLocalStampIsGreaterKeepsTheLocalValue() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("from-a")).put(K2, value("from-a"))));
        prepareAndCommit(c, T2, quorum(s0 + 20, List.of("b", "c"), 1, work().put(K1, value("from-c"))));

        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("from-c");
        assertThat(c.store().stampOf(K1)).isEqualTo(s0 + 20);
        assertThat(str(c.store().get(K2))).as("the other key of the same hint is applied").isEqualTo("from-a");
    }

    @Test
    void aLocalDeletionWithAGreaterStampIsNotUndoneByAnOlderValue() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("from-a"))));
        prepareAndCommit(c, T2, quorum(s0 + 20, List.of("b", "c"), 1, work().delete(K1)));

        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();

        assertThat(c.store().get(K1)).isNull();
        assertThat(c.store().tombstoneOf(K1)).isEqualTo(Stamps.version(s0 + 20, T2.gtrid()));
    }

    // ---- c) several sources: the greatest stamp wins ---------------------------------------------

    private static final Bytes G_LOW = Bytes.utf8("tx-low");
    private static final Bytes G_HIGH = Bytes.utf8("tx-high");

    private static Codec.CatchUp answer(Codec.KeyState... keys) {
        return new Codec.CatchUp(List.of(keys), List.of(), List.of());
    }

    private static Codec.KeyState live(Bytes key, long stamp, Bytes gtrid, String v) {
        return new Codec.KeyState(key, Stamps.version(stamp, gtrid), value(v));
    }

    private static Codec.KeyState deleted(Bytes key, long stamp, Bytes gtrid) {
        return new Codec.KeyState(key, Stamps.version(stamp, gtrid), null);
    }

    @Test
    void ofTwoSourcesTheGreaterStampWinsWhateverTheirOrder() {
        LocalNode c1 = open("c", "c-first");
        LocalNode c2 = open("c", "c-second");
        long s0 = seed(c1, c2);
        Codec.CatchUp low = answer(live(K1, s0 + 100, G_LOW, "low"), live(K2, s0 + 300, G_HIGH, "k2-high"));
        Codec.CatchUp high = answer(live(K1, s0 + 200, G_HIGH, "high"), live(K2, s0 + 150, G_LOW, "k2-low"));

        assertThat(c1.applyCatchUp(List.of(low, high))).isNull();
        assertThat(c2.applyCatchUp(List.of(high, low))).isNull();

        for (LocalNode c : List.of(c1, c2)) {
            assertThat(str(c.store().get(K1))).isEqualTo("high");
            assertThat(c.store().get(K1).version()).isEqualTo(Stamps.version(s0 + 200, G_HIGH));
            assertThat(str(c.store().get(K2))).isEqualTo("k2-high");
        }
    }

    @Test
    void ofTwoSourcesALaterDeletionWinsOverAnEarlierValueAndTheOtherWayRound() {
        LocalNode c1 = open("c", "c-first");
        LocalNode c2 = open("c", "c-second");
        long s0 = seed(c1, c2);
        Codec.CatchUp one = answer(live(K1, s0 + 100, G_LOW, "low"), deleted(K2, s0 + 100, G_LOW));
        Codec.CatchUp two = answer(deleted(K1, s0 + 200, G_HIGH), live(K2, s0 + 200, G_HIGH, "k2-high"));

        assertThat(c1.applyCatchUp(List.of(one, two))).isNull();
        assertThat(c2.applyCatchUp(List.of(two, one))).isNull();

        for (LocalNode c : List.of(c1, c2)) {
            assertThat(c.store().get(K1)).isNull();
            assertThat(c.store().tombstoneOf(K1)).isEqualTo(Stamps.version(s0 + 200, G_HIGH));
            assertThat(str(c.store().get(K2))).isEqualTo("k2-high");
            assertThat(c.store().tombstoneOf(K2)).isNull();
        }
    }

    @Test
    void aSourceThatNeverSawAKeyChangesNothing() {
        LocalNode c = open("c");
        seed(c);

        assertThat(c.applyCatchUp(List.of(answer(new Codec.KeyState(K1, Bytes.EMPTY, null))))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(c.store().tombstoneOf(K1)).isNull();
    }

    // ---- d) branches prepared without the node are adopted -----------------------------------------

    @Test
    void aBranchPreparedWithoutTheNodeIsAdoptedLockedAndCommittedThere() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        long s1 = a.nextStamp();
        TxWork w = quorum(s1, WITHOUT_C, 1, work().put(K1, value("v1")).delete(K2));
        assertThat(a.prepare(T1, w)).isEqualTo(LocalNode.Vote.YES);

        Codec.CatchUp answer = a.catchUpFor("c");
        assertThat(answer.inFlight()).singleElement().satisfies(r -> {
            assertThat(r.branch()).isEqualTo(T1);
            assertThat(r.work().stamp()).isEqualTo(s1);
            assertThat(r.work().participants()).containsExactly("a", "b");
        });
        assertThat(answer.keys()).as("not committed yet: no hint").isEmpty();
        assertThat(a.catchUpFor("b").inFlight()).as("b takes part in it").isEmpty();

        assertThat(c.applyCatchUp(List.of(answer))).isNull();

        assertThat(c.prepared()).containsExactly(T1);
        assertThat(c.isWriteLocked(K1)).as("a read of k1 on c waits for the branch").isTrue();
        assertThat(c.isWriteLocked(K2)).isTrue();
        assertThat(c.isWriteLocked(K3)).isFalse();
        assertThat(c.coordinatorOf(T1)).isEqualTo("http://a:8080");
        assertThat(c.store().loadPrepared()).as("adopted durably").extracting(Codec.PrepareRecord::branch).containsExactly(T1);
        assertThat(str(c.store().get(K1))).as("not applied before the commit").isEqualTo("v0");
        assertThat(c.nextStamp()).isGreaterThan(s1);

        assertThat(c.commit(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(c.read(K1))).isEqualTo("v1");
        assertThat(c.store().get(K1).version()).isEqualTo(Stamps.version(s1, T1.gtrid()));
        assertThat(c.read(K2)).isNull();
        assertThat(c.store().tombstoneOf(K2)).isEqualTo(Stamps.version(s1, T1.gtrid()));
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void anAdoptedBranchCanBeRolledBack() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1"))))).isEqualTo(LocalNode.Vote.YES);
        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();

        assertThat(c.rollback(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(c.read(K1))).isEqualTo("v0");
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void anAdoptedBranchSurvivesARestart() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1"))))).isEqualTo(LocalNode.Vote.YES);
        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();
        c.close();

        LocalNode reopened = open("c");

        assertThat(reopened.prepared()).containsExactly(T1);
        assertThat(reopened.isWriteLocked(K1)).isTrue();
        assertThat(reopened.commit(T1)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(str(reopened.read(K1))).isEqualTo("v1");
    }

    @Test
    void applyingTheSameAnswerTwiceAdoptsTheBranchOnceAndNotAgainAfterItsCommit() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1"))))).isEqualTo(LocalNode.Vote.YES);
        Codec.CatchUp answer = a.catchUpFor("c");

        assertThat(c.applyCatchUp(List.of(answer))).isNull();
        assertThat(c.applyCatchUp(List.of(answer, answer))).isNull();
        assertThat(c.prepared()).containsExactly(T1);

        assertThat(c.commit(T1)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(c.applyCatchUp(List.of(answer))).isNull();

        assertThat(c.prepared()).as("a branch already committed here is not adopted again").isEmpty();
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    // ---- e) a local branch holding a key: the catch-up does not wait for it -----------------------------

    @Test
    void aPreparedLocalBranchHoldingAKeyDoesNotStopTheCatchUpAndItsLaterCommitSkipsTheOlderWrite() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        // Prepared on c before c was left out, decided elsewhere meanwhile (c has not heard yet).
        TxWork local = quorum(s0 + 5, List.of("b", "c"), 1, work().put(K1, value("local")));
        assertThat(c.prepare(T2, local)).isEqualTo(LocalNode.Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1")).put(K2, value("v1"))));
        assertThat(a.prepare(T3, quorum(s0 + 11, WITHOUT_C, 1, work().put(K4, value("v4"))))).isEqualTo(LocalNode.Vote.YES);
        Codec.CatchUp answer = a.catchUpFor("c");
        assertThat(answer.inFlight()).hasSize(1);

        assertThat(c.applyCatchUp(List.of(answer))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(str(c.store().get(K2))).isEqualTo("v1");
        assertThat(c.prepared()).containsExactlyInAnyOrder(T2, T3);
        assertThat(c.isWriteLocked(K1)).as("the local branch keeps its lock: reads of k1 still wait for it").isTrue();

        assertThat(c.commit(T2)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(str(c.store().get(K1))).as("the local branch's older write is skipped").isEqualTo("v1");
        assertThat(c.store().versionOf(K1)).isEqualTo(Stamps.version(s0 + 10, T1.gtrid()));
    }

    @Test
    void aBranchPreparedWithoutThisNodeThatConflictsWithALocalBranchMakesTheCatchUpWaitAndChangeNothing() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        TxWork local = quorum(s0 + 5, List.of("b", "c"), 1, work().put(K4, value("local")));
        assertThat(c.prepare(T2, local)).isEqualTo(LocalNode.Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1")).put(K2, value("v1"))));
        assertThat(a.prepare(T3, quorum(s0 + 11, WITHOUT_C, 1, work().put(K4, value("v4"))))).isEqualTo(LocalNode.Vote.YES);
        Codec.CatchUp answer = a.catchUpFor("c");

        String reason = c.applyCatchUp(List.of(answer));

        assertThat(reason).isNotNull().contains("k4").contains(T2.toString());
        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(str(c.store().get(K2))).as("all or nothing").isEqualTo("v0");
        assertThat(c.prepared()).containsExactly(T2);
        assertThat(c.store().loadPrepared()).extracting(Codec.PrepareRecord::branch).containsExactly(T2);

        assertThat(c.rollback(T2)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(c.applyCatchUp(List.of(answer))).as("once the local branch finished").isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(str(c.store().get(K2))).isEqualTo("v1");
        assertThat(c.prepared()).containsExactly(T3);
    }

    @Test
    void aLocalBranchHoldingAKeyThatNeedsNoUpdateDoesNotStopTheCatchUp() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K3, value("local"))))).isEqualTo(LocalNode.Vote.YES);
        prepareAndCommit(a, T1, quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("v1"))));

        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();

        assertThat(str(c.store().get(K1))).isEqualTo("v1");
        assertThat(c.isWriteLocked(K3)).isTrue();
    }

    /**
     * An adopted branch's READ keys are not checked against the local branches' write locks: the catch-up
     * persists the adopted prepare record, then restoring its locks throws, and the node cannot restart with
     * both records on disk.
     */
    @Test
    void aLocalBranchWritingAKeyAnAdoptedBranchReadMakesTheCatchUpWaitAndLeavesTheNodeRestartable() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        long s0 = seed(a, c);
        Bytes seen = c.store().versionOf(K3);
        assertThat(c.prepare(T2, quorum(s0 + 5, List.of("b", "c"), 1, work().put(K3, value("local"))))).isEqualTo(LocalNode.Vote.YES);
        assertThat(a.prepare(T1, quorum(s0 + 10, WITHOUT_C, 1, work().read(K3, seen).put(K4, value("v4")))))
                .isEqualTo(LocalNode.Vote.YES);
        Codec.CatchUp answer = a.catchUpFor("c");
        String[] reason = new String[1];

        Throwable thrown = catchThrowable(() -> reason[0] = c.applyCatchUp(List.of(answer)));
        c.close();
        Throwable reopen = catchThrowable(() -> open("c"));

        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(thrown).as("applyCatchUp answers with a reason instead of throwing").isNull();
            soft.assertThat(reason[0]).as("the local branch holds k3, which the adopted branch read").isNotNull();
            soft.assertThat(reopen).as("c restarts after the catch-up").isNull();
        });
    }

    // ---- f) a commit with an older stamp does not overwrite what a catch-up wrote ----------------------

    @Test
    void anAdoptedBranchWithAnOlderStampDoesNotOverwriteANewerValueCaughtUpWith() {
        LocalNode c = open("c");
        long s0 = seed(c);
        TxWork older = quorum(s0 + 10, WITHOUT_C, 1, work().put(K1, value("older")).delete(K2).put(K4, value("v4")));
        Codec.CatchUp fromA = new Codec.CatchUp(List.of(), List.of(new Codec.PrepareRecord(T1, older)), List.of());
        Codec.CatchUp fromB = answer(live(K1, s0 + 20, G_HIGH, "newer"), live(K2, s0 + 20, G_HIGH, "k2-newer"));

        assertThat(c.applyCatchUp(List.of(fromA, fromB))).isNull();
        assertThat(str(c.store().get(K1))).isEqualTo("newer");
        assertThat(c.prepared()).containsExactly(T1);

        assertThat(c.commit(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(str(c.read(K1))).as("stamp s0+20 stays").isEqualTo("newer");
        assertThat(c.store().stampOf(K1)).isEqualTo(s0 + 20);
        assertThat(str(c.read(K2))).as("an older delete does not delete a newer value").isEqualTo("k2-newer");
        assertThat(c.store().tombstoneOf(K2)).isNull();
        assertThat(str(c.read(K4))).as("a key without a newer stamp is written").isEqualTo("v4");
        assertThat(c.store().loadPrepared()).isEmpty();
    }

    @Test
    void aCommitWithTheSameStampAsTheStoredVersionLeavesItAsItIs() {
        LocalNode c = open("c");
        long s0 = seed(c);
        Bytes before = c.store().versionOf(K1);

        // The same transaction's version came through a catch-up already: committing it again is a no-op.
        c.store().commit(branch("other"), quorum(s0, ALL, 0, work().put(K1, value("same-stamp"))), false);

        assertThat(str(c.store().get(K1))).isEqualTo("v0");
        assertThat(c.store().versionOf(K1)).isEqualTo(before);
    }

    @Test
    void aFullReplicationCommitIsNeverSkipped() {
        LocalNode c = open("c");
        seed(c);

        prepareAndCommit(c, T1, work().put(K1, value("full")).build());

        assertThat(str(c.read(K1))).isEqualTo("full");
        assertThat(c.store().versionOf(K1)).isEqualTo(T1.gtrid());
    }

    // ---- quorum prepares on a node ---------------------------------------------------------------------

    @Test
    void aQuorumPrepareBehindTheStoredStampIsRefusedAndMovesTheClockPastIt() {
        LocalNode c = open("c");
        long s0 = seed(c);
        long ahead = s0 + (1_000_000L << 16); // about 16 minutes ahead of the wall clock
        assertThat(c.applyCatchUp(List.of(answer(live(K1, ahead, G_HIGH, "ahead"))))).isNull();
        c.close();
        LocalNode restarted = open("c"); // its clock starts from the wall clock again
        assertThat(restarted.nextStamp()).isLessThan(ahead);

        assertThatThrownBy(() -> restarted.prepare(T1, quorum(s0 + 1, WITHOUT_C, 1, work().put(K1, value("x")))))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("later commit stamp")
                .hasMessageContaining("k1");
        assertThat(restarted.prepared()).isEmpty();
        assertThat(restarted.isWriteLocked(K1)).isFalse();
        assertThat(restarted.store().loadPrepared()).isEmpty();
        assertThat(restarted.nextStamp()).as("a retry takes a stamp past the key's").isGreaterThan(ahead);
    }

    @Test
    void aQuorumPrepareMovesTheClockPastItsStamp() {
        LocalNode c = open("c");
        long ahead = c.nextStamp() + (5000L << 16);

        assertThat(c.prepare(T1, quorum(ahead, WITHOUT_C, 1, work().put(K1, value("x"))))).isEqualTo(LocalNode.Vote.YES);

        assertThat(c.nextStamp()).isGreaterThan(ahead);
    }

    @Test
    void thePrepareGuardChecksQuorumWorkOnlyAndCanRefuseIt() {
        LocalNode c = open("c");
        AtomicInteger checked = new AtomicInteger();
        c.prepareGuard(w -> {
            checked.incrementAndGet();
            throw new NotReadyException("not current");
        });

        assertThatThrownBy(() -> c.prepare(T1, quorum(c.nextStamp(), WITHOUT_C, 1, work().put(K1, value("x")))))
                .isInstanceOf(NotReadyException.class);
        assertThat(checked).hasValue(1);
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
        assertThat(c.store().loadPrepared()).isEmpty();

        assertThat(c.prepare(T2, work().put(K1, value("full")).build())).isEqualTo(LocalNode.Vote.YES);
        assertThat(checked).as("full-replication work is not guarded").hasValue(1);
    }

    /**
     * A prepare that waits for a lock checks the guard again on every attempt, under the node lock: a
     * promise given while it waited (here: the guard starts refusing) stops it, so a node that catches up
     * right after its promise never misses a branch that was still waiting to lock.
     */
    @Test
    void aPrepareWaitingForALockChecksTheGuardAgainBeforeItLocks() throws Exception {
        LocalNode c = open("c");
        c.prepareLockWait(java.time.Duration.ofSeconds(10));
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicInteger checked = new AtomicInteger();
        c.prepareGuard(w -> {
            checked.incrementAndGet();
            if (refuse.get()) {
                throw new io.quarkiverse.level2pc.ConflictException("promised c's peer not to commit without it");
            }
        });
        long s0 = c.nextStamp();
        assertThat(c.prepare(T1, quorum(s0 + 1, ALL, 0, work().put(K1, value("holder"))))).isEqualTo(LocalNode.Vote.YES);
        java.util.concurrent.CompletableFuture<LocalNode.Vote> waiting = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> c.prepare(T2, quorum(s0 + 2, WITHOUT_C, 1, work().put(K1, value("late")))));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (checked.get() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // T2's first attempt passed the guard and met T1's lock
        }
        assertThat(checked.get()).as("T2's first attempt checked the guard").isEqualTo(2);

        refuse.set(true); // the promise, given while T2 waits for k1
        assertThat(c.rollback(T1)).isEqualTo(LocalNode.Completion.DONE);

        assertThatThrownBy(() -> waiting.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(io.quarkiverse.level2pc.ConflictException.class);
        assertThat(checked.get()).as("checked again once k1 was free").isGreaterThanOrEqualTo(3);
        assertThat(c.prepared()).isEmpty();
        assertThat(c.isWriteLocked(K1)).isFalse();
    }

    // ---- g) tombstones are swept after a while ----------------------------------------------------------

    @Test
    void sweepTombstonesRemovesTombstonesDeletedBeforeTheCutoffAndKeepsNewerOnes() {
        LocalNode a = open("a");
        long s0 = seed(a);
        long before = System.currentTimeMillis();
        prepareAndCommit(a, T1, quorum(s0 + 1, WITHOUT_C, 1, work().delete(K1)));
        long afterFirst = System.currentTimeMillis();
        long cutoff = afterFirst + 1;
        while (System.currentTimeMillis() < cutoff) {
            Thread.onSpinWait(); // the second deletion must carry a later wall-clock millisecond (at most ~1 ms)
        }
        prepareAndCommit(a, T2, quorum(s0 + 2, WITHOUT_C, 1, work().delete(K2)));

        assertThat(a.store().sweepTombstones(Long.MAX_VALUE)).as("c has not caught up: hinted keys keep their tombstones")
                .isZero();
        a.caughtUp("c", List.of(T1.gtrid(), T2.gtrid()));
        assertThat(a.store().hints()).isEmpty();

        assertThat(a.store().sweepTombstones(before)).as("nothing was deleted before 'before'").isZero();
        assertThat(a.store().tombstoneOf(K1)).isNotNull();

        assertThat(a.store().sweepTombstones(cutoff)).isEqualTo(1);

        assertThat(a.store().tombstoneOf(K1)).isNull();
        assertThat(a.store().stampOf(K1)).as("the deletion's stamp is gone with it").isZero();
        assertThat(a.store().tombstoneOf(K2)).isEqualTo(Stamps.version(s0 + 2, T2.gtrid()));
        assertThat(str(a.store().get(K3))).as("live keys are not swept").isEqualTo("v0");

        assertThat(a.store().sweepTombstones(Long.MAX_VALUE)).isEqualTo(1);
        assertThat(a.store().tombstoneOf(K2)).isNull();
    }

    @Test
    void sweepTombstonesAlsoRemovesTombstonesACatchUpWrote() {
        LocalNode c = open("c");
        long s0 = seed(c);
        assertThat(c.applyCatchUp(List.of(answer(deleted(K1, s0 + 1, G_HIGH))))).isNull();
        assertThat(c.store().tombstoneOf(K1)).isNotNull();

        assertThat(c.store().sweepTombstones(Long.MAX_VALUE)).isEqualTo(1);

        assertThat(c.store().tombstoneOf(K1)).isNull();
    }

    // ---- found while writing these tests --------------------------------------------------------------

    /**
     * Level2pcNode sweeps tombstones older than TOMBSTONE_RETENTION_MILLIS (10 minutes) whatever hints are
     * still outstanding. A node that stays away longer than that then catches up with a key state that has no
     * version (stamp 0), keeps its old value, reports the hint done, and the deletion is lost for good. The
     * cutoff here stands for "10 minutes later".
     */
    @Test
    void aDeletionMissedByANodeIsStillCaughtUpAfterTheTombstoneSweep() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        prepareAndCommit(a, T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().delete(K2)));

        a.store().sweepTombstones(System.currentTimeMillis() + 1);
        Codec.CatchUp answer = a.catchUpFor("c");
        assertThat(c.applyCatchUp(List.of(answer))).isNull();
        a.caughtUp("c", answer.hints());

        assertThat(c.store().get(K2)).as("c learnt that k2 was deleted while it was away").isNull();
    }

    /**
     * LevelStore.commit writes a catch-up hint for every quorum commit with excluded > 0, also on a node that
     * is NOT one of the participants (it adopted the branch in a catch-up). Only the nodes that missed the
     * commit report caughtUp, and the holder itself is one of them, so the hint can never reach its count and
     * stays forever (Hint: "kept by each of its participants").
     */
    @Test
    void aNodeThatCommitsAnAdoptedBranchKeepsNoHintThatNoOneCanClear() {
        LocalNode a = open("a");
        LocalNode c = open("c");
        seed(a, c);
        assertThat(a.prepare(T1, quorum(a.nextStamp(), WITHOUT_C, 1, work().put(K1, value("v1"))))).isEqualTo(LocalNode.Vote.YES);
        assertThat(c.applyCatchUp(List.of(a.catchUpFor("c")))).isNull();

        assertThat(c.commit(T1)).isEqualTo(LocalNode.Completion.DONE);
        // Every node that missed the commit, other than c itself, has caught up: there is none (excluded = 1).

        assertThat(c.store().hints()).as("hints left on c, which took no part in T1").isEmpty();
    }

    @Test
    void aQuorumCommitWithExcludedNodesButNoWritesLeavesNoHint() {
        LocalNode a = open("a");
        TxWork readOnly = quorum(a.nextStamp(), WITHOUT_C, 1, work().readAbsent(K1));

        assertThat(a.prepare(T1, readOnly)).isEqualTo(LocalNode.Vote.READ_ONLY);
        assertThatCode(() -> a.store().commit(T1, readOnly, false)).doesNotThrowAnyException();

        assertThat(a.store().hints()).isEmpty();
    }
}
