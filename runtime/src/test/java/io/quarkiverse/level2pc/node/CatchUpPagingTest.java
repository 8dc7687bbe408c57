package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static io.quarkiverse.level2pc.node.QuorumNodes.WITHOUT_C;
import static io.quarkiverse.level2pc.node.QuorumNodes.apply;
import static io.quarkiverse.level2pc.node.QuorumNodes.caughtUp;
import static io.quarkiverse.level2pc.node.QuorumNodes.prepareAndCommit;
import static io.quarkiverse.level2pc.node.QuorumNodes.quorum;
import static io.quarkiverse.level2pc.node.QuorumNodes.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * A catch-up answer is one page (quorum mode, real LevelDBs): a source puts in it all its branches prepared
 * without the asker and then whole hints, in order, until their key states reach the page budget (at least
 * one hint); when it left hints out the answer says {@code more}. The asker applies a page, tells the source,
 * which drops that page's hints, and asks again; the pages together bring it every key it missed.
 */
class CatchUpPagingTest {

    @RegisterExtension
    final QuorumNodes cluster = new QuorumNodes();

    /** {@code n} commits on {@code a} that leave c out, the i-th writing key p-i (and q-i when {@code twoKeys}). */
    private static List<BranchId> commitsWithoutC(LocalNode a, int n, boolean twoKeys) {
        List<BranchId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BranchId id = branch("missed-" + (100 + i));
            NodeFixtures.WorkBuilder w = work().put(k("p-" + i), value("value-" + i));
            if (twoKeys) {
                w.put(k("q-" + i), value("value-" + i));
            }
            prepareAndCommit(a, id, quorum(a.nextStamp(), WITHOUT_C, 1, w));
            ids.add(id);
        }
        return ids;
    }

    @Test
    void withATinyBudgetEachPageHoldsOneHintAndSaysMoreUntilTheLastAndTheNodeEndsWithEveryKey() {
        LocalNode a = cluster.open("a");
        LocalNode c = cluster.open("c");
        seed(a, c);
        int n = 7;
        List<BranchId> missed = commitsWithoutC(a, n, false);
        CatchUps source = new CatchUps(a, 1);

        List<CatchUp> pages = new ArrayList<>();
        Set<Bytes> hintsSeen = new HashSet<>();
        for (int page = 0; page < 3 * n; page++) {
            CatchUp answer = source.catchUpFor("c");
            pages.add(answer);
            assertThat(answer.hints()).as("page %d: one whole hint, however small the budget", page).hasSize(1);
            assertThat(hintsSeen.add(answer.hints().get(0))).as("a hint is sent in one page only").isTrue();
            assertThat(apply(c, answer)).isNull();
            caughtUp(a, "c", answer.hints());
            if (!answer.more()) {
                break;
            }
        }

        assertThat(pages).as("one page per hint").hasSize(n);
        assertThat(pages.subList(0, n - 1)).allSatisfy(p -> assertThat(p.more()).isTrue());
        assertThat(pages.get(n - 1).more()).as("the last page").isFalse();
        assertThat(hintsSeen).containsExactlyInAnyOrderElementsOf(missed.stream().map(BranchId::gtrid).toList());
        for (int i = 0; i < n; i++) {
            assertThat(str(c.store().get(k("p-" + i)))).as("p-%d on c", i).isEqualTo("value-" + i);
            assertThat(c.store().get(k("p-" + i)).version()).isEqualTo(a.store().get(k("p-" + i)).version());
        }
        assertThat(a.store().hints()).as("every hint dropped once c applied it").isEmpty();
        CatchUp after = source.catchUpFor("c");
        assertThat(after.hints()).isEmpty();
        assertThat(after.more()).isFalse();
    }

    @Test
    void aPageTakesWholeHintsUntilTheirKeyStatesReachTheBudget() {
        LocalNode a = cluster.open("a");
        seed(a);
        commitsWithoutC(a, 5, true);
        CatchUp whole = new CatchUps(a).catchUpFor("c");
        assertThat(whole.more()).as("the default budget (2.5 MiB) takes them all").isFalse();
        assertThat(whole.hints()).hasSize(5);
        assertThat(whole.keys()).hasSize(10);
        // Every key state here has the same size (keys p-i and q-i, values value-i, one-digit i).
        long oneHint = 2 * CatchUps.sizeOf(whole.keys().get(0));

        // After one hint the states are below the budget: a second whole hint is taken, then the budget is reached.
        CatchUp page = new CatchUps(a, oneHint + 1).catchUpFor("c");

        assertThat(page.more()).isTrue();
        assertThat(page.hints()).containsExactlyElementsOf(whole.hints().subList(0, 2));
        assertThat(page.keys()).extracting(KeyState::key).as("both keys of each of its hints, nothing of the others")
                .containsExactly(k("p-0"), k("p-1"), k("q-0"), k("q-1"));
        assertThat(new CatchUps(a, oneHint).catchUpFor("c").hints()).as("reached after one hint").hasSize(1);
    }

    @Test
    void aKeyNamedByTwoHintsOfAPageIsSentAndCountedOnce() {
        LocalNode a = cluster.open("a");
        seed(a);
        for (int i = 0; i < 3; i++) {
            prepareAndCommit(a, branch("same-key-" + i), quorum(a.nextStamp(), WITHOUT_C, 1, work().put(k("hot"), value("v" + i))));
        }

        CatchUp page = new CatchUps(a, 1_000_000).catchUpFor("c");

        assertThat(page.hints()).hasSize(3);
        assertThat(page.keys()).singleElement().satisfies(s -> assertThat(s.value()).isEqualTo(value("v2")));
        assertThat(page.more()).isFalse();
    }

    @Test
    void everyPageCarriesTheBranchesPreparedWithoutTheAskerAndTheyAreAdoptedOnce() {
        LocalNode a = cluster.open("a");
        LocalNode c = cluster.open("c");
        seed(a, c);
        commitsWithoutC(a, 2, false);
        BranchId open = branch("open-without-c");
        TxWork w = quorum(a.nextStamp(), WITHOUT_C, 1, work().put(k("open"), value("pending")));
        assertThat(a.prepare(open, w).join()).isEqualTo(Vote.YES);
        CatchUps source = new CatchUps(a, 1);

        CatchUp first = source.catchUpFor("c");
        assertThat(apply(c, first)).isNull();
        caughtUp(a, "c", first.hints());
        CatchUp second = source.catchUpFor("c");

        assertThat(first.more()).isTrue();
        assertThat(second.more()).isFalse();
        for (CatchUp p : List.of(first, second)) {
            assertThat(p.inFlight()).extracting(PrepareRecord::branch).containsExactly(open);
        }
        assertThat(apply(c, second)).as("the branch c adopted with the first page is not adopted again").isNull();
        assertThat(c.prepared()).containsExactly(open);
        assertThat(new CatchUps(c).isAdopted(open)).isTrue();
    }

    @Test
    void aPageAppliedAloneNeverTakesAnOlderState() {
        LocalNode a = cluster.open("a");
        LocalNode c = cluster.open("c");
        seed(a, c);
        commitsWithoutC(a, 3, false);
        CatchUp first = new CatchUps(a, 1).catchUpFor("c");
        assertThat(first.more()).isTrue();
        // c writes the first page's key itself, later, before it applies the page: its newer state stays.
        Bytes key = first.keys().get(0).key();
        prepareAndCommit(c, branch("later-on-c"), quorum(c.nextStamp() + 1_000_000, List.of("b", "c"), 1,
                work().put(key, value("newer-on-c"))));

        assertThat(apply(c, first)).isNull();

        assertThat(str(c.store().get(key))).isEqualTo("newer-on-c");
    }

    @Test
    void aPageBudgetMustBePositive() {
        LocalNode a = cluster.open("a");

        assertThatThrownBy(() -> new CatchUps(a, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page budget");
    }
}
