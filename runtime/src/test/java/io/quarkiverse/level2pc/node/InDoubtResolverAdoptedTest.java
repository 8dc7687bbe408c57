package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.FakePeerLink.BRANCH_STATE;
import static io.quarkiverse.level2pc.node.FakePeerLink.CAUGHT_UP;
import static io.quarkiverse.level2pc.node.FakePeerLink.OUTCOME;
import static io.quarkiverse.level2pc.node.NodeFixtures.branch;
import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.reads;
import static io.quarkiverse.level2pc.node.NodeFixtures.str;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.MemoryStore;

/**
 * Quorum mode: a branch node "a" adopted while catching up (prepared by "b" and "c" without it) is
 * resolved by the rules of {@code Resolution.adopted}: its coordinator "b" is asked first, then every
 * participant; committed if any says so, rolled back only if the coordinator says rolled back and every
 * participant holds neither the branch nor a hint, otherwise left in doubt.
 */
class InDoubtResolverAdoptedTest {

    private static final String B = "http://b:8080";
    private static final String C = "http://c:8080";
    private static final BranchId T1 = branch("adopted-1");

    private final ManualScheduler clock = new ManualScheduler();
    private final FakePeerLink link = new FakePeerLink();
    private final Map<String, String> names = new HashMap<>(Map.of("b", B, "c", C));
    private LocalNode node;
    private InDoubtResolver resolver;

    @BeforeEach
    void adopt() {
        node = NodeFixtures.open(MemoryStore.immediate("a"), "a", Duration.ofSeconds(1), clock);
        TxCoordinator coordinator = new TxCoordinator(node, link, clock, new TxIds("a", 1), new Random(1), false,
                b -> Outcome.UNKNOWN, (peer, why) -> {
                });
        resolver = new InDoubtResolver(node, coordinator, link, List.of(B, C), names::get, clock, Duration.ZERO);
        TxWork w = work().put("x", "adopted").coordinator("b").quorum(node.nextStamp() + 1000, List.of("b", "c"), 1);
        CatchUps catchUps = new CatchUps(node);
        assertThat(catchUps.apply(List.of(new CatchUp(List.of(), List.of(new PrepareRecord(T1, w)), List.of()))).join()).isNull();
        assertThat(catchUps.isAdopted(T1)).isTrue();
        assertThat(node.inDoubt()).singleElement().satisfies(d -> assertThat(d.adoptedFrom()).containsExactly("b", "c"));
    }

    @AfterEach
    void close() {
        node.close();
    }

    /** One pass: the coordinator answers {@code coordinator}, then each participant its answer (null: unreachable). */
    private int pass(Outcome coordinator, Outcome fromB, Outcome fromC) {
        CompletableFuture<Integer> pass = resolver.resolveOnce();
        assertThat(link.calls(BRANCH_STATE)).as("the coordinator is asked first").isEmpty();
        link.<Outcome> last(OUTCOME, B, T1.gtrid()).answer(coordinator);
        answer(B, fromB);
        answer(C, fromC);
        return pass.join();
    }

    private void answer(String peer, Outcome o) {
        FakePeerLink.Call<Outcome> call = link.last(BRANCH_STATE, peer, T1.gtrid());
        if (o == null) {
            call.fail(new PeerUnavailableException(peer + " is down"));
        } else {
            call.answer(o);
        }
    }

    @Test
    void aParticipantHoldingItsHintSaysCommittedAndTheParticipantsAreToldItIsDone() {
        assertThat(pass(Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.COMMITTED)).isEqualTo(1);

        assertThat(str(reads(node).read(k("x")))).isEqualTo("adopted");
        assertThat(node.prepared()).isEmpty();
        assertThat(link.calls(CAUGHT_UP)).extracting(c -> c.peer).containsExactlyInAnyOrder(B, C);
        assertThat(link.calls(CAUGHT_UP)).allSatisfy(c -> assertThat(c.gtrids).containsExactly(T1.gtrid()));
    }

    @Test
    void theCoordinatorSayingCommittedIsEnough() {
        assertThat(pass(Outcome.COMMITTED, null, null)).isEqualTo(1);

        assertThat(str(reads(node).read(k("x")))).isEqualTo("adopted");
    }

    @Test
    void rolledBackWhenTheCoordinatorSaysSoAndNoParticipantHoldsIt() {
        assertThat(pass(Outcome.ROLLED_BACK, Outcome.UNKNOWN, Outcome.UNKNOWN)).isEqualTo(1);

        assertThat(reads(node).read(k("x"))).isNull();
        assertThat(node.prepared()).isEmpty();
        assertThat(node.store().loadPrepared()).isEmpty();
    }

    @Test
    void staysInDoubtWhileAParticipantStillHoldsTheBranch() {
        assertThat(pass(Outcome.ROLLED_BACK, Outcome.UNKNOWN, Outcome.IN_PROGRESS)).isZero();

        assertThat(node.prepared()).containsExactly(T1);
        assertThat(node.isWriteLocked(k("x"))).isTrue();
        assertThat(link.calls(CAUGHT_UP)).isEmpty();
    }

    @Test
    void staysInDoubtWhileAParticipantCannotBeAsked() {
        assertThat(pass(Outcome.ROLLED_BACK, Outcome.UNKNOWN, null)).isZero();
        assertThat(node.prepared()).containsExactly(T1);

        names.remove("c"); // not connected to a peer of that name
        CompletableFuture<Integer> pass = resolver.resolveOnce();
        link.<Outcome> last(OUTCOME, B, T1.gtrid()).answer(Outcome.ROLLED_BACK);
        answer(B, Outcome.UNKNOWN);

        assertThat(pass.join()).isZero();
        assertThat(link.calls(BRANCH_STATE, C)).as("nobody to ask").hasSize(1);
        assertThat(node.prepared()).containsExactly(T1);
    }

    @Test
    void staysInDoubtWhileTheCoordinatorCannotTellThatItEnded() {
        CompletableFuture<Integer> pass = resolver.resolveOnce();
        link.<Outcome> last(OUTCOME, B, T1.gtrid()).fail(new PeerUnavailableException("b is down"));
        // Not connected to "b": every peer is asked in turn; C does not coordinate it.
        link.<Outcome> calls(OUTCOME).stream().filter(c -> c.peer.equals(C)).forEach(c -> c.answer(Outcome.UNKNOWN));
        answer(B, Outcome.UNKNOWN);
        answer(C, Outcome.UNKNOWN);

        assertThat(pass.join()).as("a prepare may still be on its way to a participant").isZero();
        assertThat(node.prepared()).containsExactly(T1);
    }
}
