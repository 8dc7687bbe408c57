package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.quorumWrite;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.TransportFixtures.ManualScheduler;
import io.quarkiverse.level2pc.transport.TransportFixtures.Served;

/**
 * The quorum-mode parts of the participant's peer protocol over a real node: a hello grants a lease only
 * when asked, answers whether the node is current; branch-state; recovery scans never list adopted branches.
 */
class PeerEndpointQuorumTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<Served> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.forEach(Served::close);
    }

    private Served open(String name) {
        Served s = TransportFixtures.serve(name, new NodeStore(LevelStore.open(dir.resolve(name), true, 100)), scheduler);
        nodes.add(s);
        return s;
    }

    @Test
    void aHelloPromisesOnlyWhenItAsksForALeaseAndTellsWhetherTheNodeIsCurrent() throws Exception {
        Served b = open("b");
        List<String> promised = new ArrayList<>();
        AtomicBoolean current = new AtomicBoolean(false);
        b.endpoint().quorumMode(promised::add, current::get);

        PeerResponse plain = b.handle(new PeerRequest("a", PeerProtocol.HELLO, new byte[0]));
        assertThat(plain.status()).isEqualTo(200);
        assertThat(promised).as("a plain heartbeat promises nothing").isEmpty();
        assertThat(JSON.readTree(plain.body()).path("current").asBoolean(true)).as("current, while catching up").isFalse();

        current.set(true);
        PeerResponse asked = b.handle(new PeerRequest("a", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE));
        assertThat(asked.status()).isEqualTo(200);
        assertThat(promised).containsExactly("a");
        JsonNode j = JSON.readTree(asked.body());
        assertThat(j.path("current").asBoolean(false)).isTrue();
        assertThat(j.path("node").asText()).isEqualTo("b");
        assertThat(j.path("cluster").asText()).isEqualTo(TransportFixtures.CLUSTER);
        assertThat(j.path("protocol").asInt()).isEqualTo(PeerProtocol.VERSION);
        assertThat(j.path("clock").asLong()).as("clock reading").isPositive();
    }

    @Test
    void aLeaseAnswerSaysBehindWhileABranchLeavingTheAskerOutIsInFlightUntilItWasSentInACatchUp() throws Exception {
        Served b = open("b");
        List<String> promised = new ArrayList<>();
        b.endpoint().quorumMode(promised::add, () -> true);
        LocalNode node = b.node().local();
        assertThat(behind(b, "c")).as("nothing in flight, no hint").isFalse();
        assertThat(b.handle(new PeerRequest("c", PeerProtocol.HELLO, new byte[0])).bodyText())
                .as("a hello that asks no lease says nothing of it").doesNotContain("behind");

        BranchId id = branch("gtrid-behind", "b-1");
        assertThat(Futures.join(node.prepare(id, quorumWrite("x", "1", node.nextStamp(), List.of("a", "b"), 1, "a"))))
                .isEqualTo(Vote.YES);

        assertThat(behind(b, "c")).as("prepared without c").isTrue();
        assertThat(promised).as("the promise is recorded too").contains("c");
        assertThat(behind(b, "a")).as("a takes part in it").isFalse();

        assertThat(b.handle(new PeerRequest("c", PeerProtocol.CATCH_UP, new byte[0])).status()).isEqualTo(200);
        assertThat(behind(b, "c")).as("c adopted it from this node's catch-up answer").isFalse();

        BranchId other = branch("gtrid-behind-2", "b-1");
        assertThat(Futures.join(node.prepare(other, quorumWrite("y", "1", node.nextStamp(), List.of("a", "b"), 1, "a"))))
                .isEqualTo(Vote.YES);
        assertThat(behind(b, "c")).as("a branch c was not sent yet").isTrue();
        Futures.join(node.rollback(other));
        assertThat(behind(b, "c")).as("rolled back: nothing left that c lacks").isFalse();
    }

    @Test
    void aLeaseAnswerSaysBehindWhileAHintForTheAskerIsKeptUntilItCaughtUp() throws Exception {
        Served b = open("b");
        b.endpoint().quorumMode(name -> {
        }, () -> true);
        LocalNode node = b.node().local();
        BranchId id = branch("gtrid-hinted", "b-1");
        assertThat(behind(b, "c")).isFalse();
        assertThat(Futures.join(node.prepare(id, quorumWrite("x", "1", node.nextStamp(), List.of("a", "b"), 1, "a"))))
                .isEqualTo(Vote.YES);
        assertThat(b.handle(new PeerRequest("c", PeerProtocol.CATCH_UP, new byte[0])).status()).isEqualTo(200);
        assertThat(behind(b, "c")).as("in flight, sent to c").isFalse();

        Futures.join(node.commit(id));

        assertThat(behind(b, "c")).as("committed without c: a hint for c is kept").isTrue();
        assertThat(behind(b, "a")).as("a took part").isFalse();
        PeerResponse caughtUp = b.handle(new PeerRequest("c", PeerProtocol.CAUGHT_UP,
                Codec.encodeGtrids(List.of(id.gtrid()))));
        assertThat(caughtUp.status()).isEqualTo(200);
        assertThat(behind(b, "c")).as("c caught up with it: the hint is dropped").isFalse();
    }

    /** Whether {@code s}'s answer to a lease-asking hello of {@code from} says it is behind. */
    private static boolean behind(Served s, String from) throws Exception {
        PeerResponse r = s.handle(new PeerRequest(from, PeerProtocol.HELLO, PeerProtocol.ASK_LEASE));
        assertThat(r.status()).isEqualTo(200);
        JsonNode behind = JSON.readTree(r.body()).path("behind");
        assertThat(behind.isMissingNode() || behind.asBoolean()).as("said only when true: %s", r.bodyText()).isTrue();
        return behind.asBoolean(false);
    }

    @Test
    void branchStateTellsLiveCommittedWithoutSomeNodesOrUnknown() {
        Served b = open("b");
        LocalNode node = b.node().local();
        BranchId id = branch("gtrid-1", "b-1");
        Bytes gtrid = id.gtrid();
        assertThat(state(b, gtrid)).isEqualTo("UNKNOWN");

        assertThat(Futures.join(node.prepare(id, quorumWrite("x", "1", node.nextStamp(), List.of("a", "b"), 1, "a"))))
                .isEqualTo(Vote.YES);
        assertThat(state(b, gtrid)).isEqualTo("IN_PROGRESS");

        Futures.join(node.commit(id));
        assertThat(state(b, gtrid)).as("committed without c: the hint is on record").isEqualTo("COMMITTED");

        PeerResponse caughtUp = b.handle(new PeerRequest("c", PeerProtocol.CAUGHT_UP, Codec.encodeGtrids(List.of(gtrid))));
        assertThat(caughtUp.status()).isEqualTo(200);
        assertThat(state(b, gtrid)).as("once the one node it missed caught up").isEqualTo("UNKNOWN");

        PeerResponse malformed = b.handle(new PeerRequest("c", PeerProtocol.BRANCH_STATE, new byte[0]));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.bodyText()).contains("global transaction id");
    }

    @Test
    void aBranchAdoptedWhileCatchingUpIsNotListedForTheCoordinatorsRecovery() {
        Served source = open("b");
        Served c = open("c");
        LocalNode node = c.node().local();
        // A transaction coordinated by a that left c out, prepared on b: c adopts b's branch when it catches up,
        // from what b's endpoint answers c's catch-up.
        BranchId onB = branch("gtrid-adopted", "b-1");
        LocalNode b = source.node().local();
        assertThat(Futures.join(b.prepare(onB, quorumWrite("y", "1", b.nextStamp(), List.of("a", "b"), 1, "a")))).isEqualTo(Vote.YES);
        PeerResponse catchUp = source.handle(new PeerRequest("c", PeerProtocol.CATCH_UP, new byte[0]));
        assertThat(catchUp.status()).isEqualTo(200);
        assertThat(Futures.join(c.node().catchUps().apply(List.of(Codec.decodeCatchUp(catchUp.body()))))).isNull();
        assertThat(node.prepared()).containsExactly(onB);
        assertThat(c.node().catchUps().isAdopted(onB)).isTrue();
        // A branch of a transaction c takes part in, same coordinator.
        BranchId own = branch("gtrid-own", "c-1");
        assertThat(Futures.join(node.prepare(own, quorumWrite("z", "1", node.nextStamp(), List.of("a", "c"), 1, "a"))))
                .isEqualTo(Vote.YES);

        PeerResponse r = c.handle(new PeerRequest("a", PeerProtocol.RECOVER, new byte[0]));

        assertThat(r.status()).isEqualTo(200);
        assertThat(Codec.decodeBranches(r.body())).containsExactly(own);
        assertThat(node.inDoubt()).filteredOn(d -> d.branch().equals(onB)).singleElement()
                .satisfies(d -> assertThat(d.adoptedFrom()).containsExactly("a", "b"));
    }

    private static String state(Served s, Bytes gtrid) {
        PeerResponse r = s.handle(new PeerRequest("c", PeerProtocol.BRANCH_STATE, gtrid.toArray()));
        assertThat(r.status()).isEqualTo(200);
        return r.bodyText();
    }
}
