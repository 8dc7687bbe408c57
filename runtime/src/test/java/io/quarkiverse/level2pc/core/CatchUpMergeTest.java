package io.quarkiverse.level2pc.core;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.key;
import static io.quarkiverse.level2pc.core.CoreFixtures.value;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Merging the catch-up sources' answers, and picking what is newer than the node holds. */
class CatchUpMergeTest {

    private static KeyState state(String k, long stamp, String gtrid, String v) {
        return new KeyState(key(k), Stamps.version(stamp, Bytes.utf8(gtrid)), v == null ? null : value(v));
    }

    private static CatchUp answer(List<KeyState> keys, List<PrepareRecord> inFlight) {
        return new CatchUp(keys, inFlight, List.of());
    }

    private static PrepareRecord record(String gtrid, long stamp) {
        return new PrepareRecord(branch(gtrid), work().put("p-" + gtrid, "v").quorum(stamp, List.of("a", "b"), 1).build());
    }

    @Test
    void foreachKeyTheStateWithTheGreatestStampWinsWhateverTheOrderOfTheAnswers() {
        CatchUp one = answer(List.of(state("x", 10, "t1", "old"), state("y", 30, "t3", "y3")), List.of());
        CatchUp two = answer(List.of(state("x", 20, "t2", null), state("y", 25, "t2", "y2")), List.of());

        for (List<CatchUp> order : List.of(List.of(one, two), List.of(two, one))) {
            CatchUp.Merged m = CatchUp.merge(order);

            assertThat(m.newest()).containsOnlyKeys(key("x"), key("y"));
            assertThat(m.newest().get(key("x")).stamp()).as("the deletion at 20 is newer").isEqualTo(20);
            assertThat(m.newest().get(key("x")).value()).isNull();
            assertThat(m.newest().get(key("y")).stamp()).isEqualTo(30);
            assertThat(m.maxStamp()).isEqualTo(30);
        }
    }

    @Test
    void theNewestStatesAreInKeyOrder() {
        CatchUp.Merged m = CatchUp.merge(List.of(answer(List.of(state("c", 1, "t", "c"), state("a", 1, "t", "a"),
                state("b", 1, "t", "b")), List.of())));

        assertThat(m.newest().keySet()).containsExactly(key("a"), key("b"), key("c"));
    }

    @Test
    void eachBranchIsAdoptedOnceAndItsStampMovesTheClock() {
        PrepareRecord r1 = record("g1", 40);
        PrepareRecord r1Again = record("g1", 40);
        PrepareRecord r2 = record("g2", 5);

        CatchUp.Merged m = CatchUp.merge(List.of(answer(List.of(state("x", 10, "t", "v")), List.of(r1, r2)),
                answer(List.of(), List.of(r1Again))));

        assertThat(m.branches()).containsOnlyKeys(branch("g1"), branch("g2"));
        assertThat(m.branches().get(branch("g1"))).as("the first copy is kept").isSameAs(r1);
        assertThat(m.maxStamp()).isEqualTo(40);
    }

    @Test
    void nothingToMergeIsEmpty() {
        CatchUp.Merged m = CatchUp.merge(List.of());

        assertThat(m.newest()).isEmpty();
        assertThat(m.branches()).isEmpty();
        assertThat(m.maxStamp()).isZero();
    }

    @Test
    void aKeyNeverSeenBySourcesHasStampZero() {
        CatchUp.Merged m = CatchUp.merge(List.of(answer(List.of(new KeyState(key("x"), Bytes.EMPTY, null)), List.of())));

        assertThat(m.newest().get(key("x")).stamp()).isZero();
        assertThat(m.newerThan(k -> Bytes.EMPTY)).as("not newer than an absent key").isEmpty();
    }

    @Test
    void newerThanKeepsOnlyStatesWithAGreaterStampThanTheNodeHolds() {
        CatchUp.Merged m = CatchUp.merge(List.of(answer(List.of(state("behind", 5, "t", "v"), state("same", 10, "t", "v"),
                state("ahead", 20, "t", "v"), state("new", 1, "t", "v")), List.of())));
        Map<Bytes, Long> local = new HashMap<>(Map.of(key("behind"), 9L, key("same"), 10L, key("ahead"), 19L));
        VersionLookup node = new VersionLookup() {
            @Override
            public Bytes versionOf(Bytes k) {
                return Bytes.EMPTY;
            }

            @Override
            public long stampOf(Bytes k) {
                return local.getOrDefault(k, 0L);
            }
        };

        assertThat(m.newerThan(node)).extracting(KeyState::key).containsExactly(key("ahead"), key("new"));
    }

    @Test
    void newerThanComparesWithTheStampOfADeletionToo() {
        CatchUp.Merged m = CatchUp.merge(List.of(answer(List.of(state("x", 10, "t", "v")), List.of())));
        VersionLookup deletedLater = new VersionLookup() {
            @Override
            public Bytes versionOf(Bytes k) {
                return Bytes.EMPTY; // deleted: no live version
            }

            @Override
            public long stampOf(Bytes k) {
                return 11; // its tombstone's stamp
            }
        };

        assertThat(m.newerThan(deletedLater)).isEmpty();
        assertThat(m.newerThan(k -> Stamps.version(9, Bytes.utf8("t0")))).hasSize(1);
    }

    @Test
    void aCatchUpAnswerIsAnImmutableCopy() {
        List<KeyState> keys = new ArrayList<>(List.of(state("x", 1, "t", "v")));
        CatchUp c = answer(keys, List.of());
        keys.clear();

        assertThat(c.keys()).hasSize(1);
    }
}
