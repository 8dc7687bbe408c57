package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;

/**
 * The quorum-mode parts of the participant's peer protocol over a real node: a hello grants a lease only
 * when asked, answers whether the node is current; branch-state; recovery scans never list adopted branches.
 */
class PeerEndpointQuorumTest {

    private static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);

    @TempDir
    Path dir;

    private final List<LocalNode> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.forEach(LocalNode::close);
    }

    private LocalNode open(String name) {
        LocalNode n = LocalNode.open(dir.resolve(name), name, true, 100, Duration.ofSeconds(5));
        nodes.add(n);
        return n;
    }

    private static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    private static BranchId branch(String gtrid, String bqual) {
        return new BranchId(131077, Bytes.utf8(gtrid), Bytes.utf8(bqual));
    }

    private static TxWork put(String key, String value, long stamp, List<String> participants, int excluded, String coordinator) {
        TreeMap<Bytes, byte[]> w = new TreeMap<>();
        w.put(k(key), value.getBytes(StandardCharsets.UTF_8));
        return new TxWork(w, Map.of(), coordinator, stamp, participants, excluded);
    }

    @Test
    void aHelloPromisesOnlyWhenItAsksForALeaseAndTellsWhetherTheNodeIsCurrent() throws Exception {
        LocalNode node = open("b");
        PeerEndpoint endpoint = new PeerEndpoint(() -> node, "b", "level-2pc", id -> "NOT_COORDINATOR");
        List<String> promised = new ArrayList<>();
        AtomicBoolean current = new AtomicBoolean(false);
        endpoint.quorumMode(promised::add, current::get);

        PeerResponse plain = endpoint.handle(new PeerRequest("a", PeerProtocol.HELLO, new byte[0]));
        assertThat(plain.status()).isEqualTo(200);
        assertThat(promised).as("a plain heartbeat promises nothing").isEmpty();
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(plain.body()).path("current").asBoolean(true))
                .as("current, while catching up").isFalse();

        current.set(true);
        PeerResponse asked = endpoint.handle(new PeerRequest("a", PeerProtocol.HELLO, PeerProtocol.ASK_LEASE));
        assertThat(asked.status()).isEqualTo(200);
        assertThat(promised).containsExactly("a");
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(asked.body());
        assertThat(j.path("current").asBoolean(false)).isTrue();
        assertThat(j.path("clock").asLong()).as("clock reading").isPositive();
    }

    @Test
    void branchStateTellsLiveCommittedWithoutSomeNodesOrNoRecord() {
        LocalNode node = open("b");
        PeerEndpoint endpoint = new PeerEndpoint(() -> node, "b", "level-2pc", id -> "NOT_COORDINATOR");
        BranchId id = branch("gtrid-1", "b-1");
        Bytes gtrid = id.gtrid();
        assertThat(state(endpoint, gtrid)).isEqualTo("NO_RECORD");

        node.prepare(id, put("x", "1", node.nextStamp(), List.of("a", "b"), 1, "a"));
        assertThat(state(endpoint, gtrid)).isEqualTo("IN_PROGRESS");

        node.commit(id);
        assertThat(state(endpoint, gtrid)).as("committed without c: the hint is on record").isEqualTo("COMMITTED");

        node.caughtUp("c", List.of(gtrid));
        assertThat(state(endpoint, gtrid)).as("once the one node it missed caught up").isEqualTo("NO_RECORD");

        PeerResponse malformed = endpoint.handle(new PeerRequest("c", PeerProtocol.BRANCH_STATE, new byte[0]));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.bodyText()).contains("global transaction id");
    }

    @Test
    void aBranchAdoptedWhileCatchingUpIsNotListedForTheCoordinatorsRecovery() {
        LocalNode source = open("b");
        LocalNode node = open("c");
        PeerEndpoint endpoint = new PeerEndpoint(() -> node, "c", "level-2pc", id -> "NOT_COORDINATOR");
        // A transaction coordinated by a that left c out, prepared on b: c adopts b's branch when it catches up.
        BranchId onB = branch("gtrid-adopted", "b-1");
        source.prepare(onB, put("y", "1", source.nextStamp(), List.of("a", "b"), 1, "a"));
        assertThat(node.applyCatchUp(List.of(source.catchUpFor("c")))).isNull();
        assertThat(node.prepared()).containsExactly(onB);
        assertThat(node.isAdopted(onB)).isTrue();
        // A branch of a transaction c takes part in, same coordinator.
        BranchId own = branch("gtrid-own", "c-1");
        node.prepare(own, put("z", "1", node.nextStamp(), List.of("a", "c"), 1, "a"));

        PeerResponse r = endpoint.handle(new PeerRequest("a", PeerProtocol.RECOVER, new byte[0]));

        assertThat(r.status()).isEqualTo(200);
        assertThat(Codec.decodeBranches(r.body())).containsExactly(own);
        assertThat(node.inDoubt()).filteredOn(d -> d.branch().equals(onB)).singleElement()
                .satisfies(d -> assertThat(d.adoptedFrom()).containsExactly("a", "b"));
    }

    private static String state(PeerEndpoint endpoint, Bytes gtrid) {
        PeerResponse r = endpoint.handle(new PeerRequest("c", PeerProtocol.BRANCH_STATE, gtrid.toArray()));
        assertThat(r.status()).isEqualTo(200);
        return r.bodyText();
    }
}
