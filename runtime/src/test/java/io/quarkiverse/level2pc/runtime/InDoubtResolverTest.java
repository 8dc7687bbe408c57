package io.quarkiverse.level2pc.runtime;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.jta.CoordinatorLog;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;

/**
 * The callback site from the participant's side, over a real LevelDB: a branch prepared for longer than
 * {@code in-doubt-after} is completed the way its coordinator answers, and left prepared (keys locked)
 * while nobody can answer.
 */
class InDoubtResolverTest {

    private static final URI PEER_B = URI.create("http://127.0.0.1:1");
    private static final URI PEER_C = URI.create("http://127.0.0.1:2");
    private static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);

    @TempDir
    Path dir;

    private LocalNode node;
    /** What each peer answers to "outcome", by branch; a missing entry makes the call fail. */
    private final Map<URI, Map<BranchId, String>> answers = new HashMap<>();
    private final List<String> asked = new ArrayList<>();
    private final Map<BranchId, CoordinatorLog.Outcome> own = new HashMap<>();

    @BeforeEach
    void open() {
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        answers.put(PEER_B, new HashMap<>());
        answers.put(PEER_C, new HashMap<>());
    }

    @AfterEach
    void close() {
        node.close();
    }

    /** Peers that take commits; the others are down. */
    private final java.util.Set<URI> up = new java.util.HashSet<>();
    private final List<String> commits = new ArrayList<>();

    private PeerResponse send(URI peer, PeerRequest request) {
        if (request.operation().equals(PeerProtocol.COMMIT)) {
            BranchId id = Codec.decodeBranch(java.util.Arrays.copyOfRange(request.body(), 1, request.body().length));
            if (!up.contains(peer)) {
                return PeerResponse.error(503, "not ready", "peer " + peer + " is down in this test");
            }
            commits.add(peer.getPort() + " " + id.gtrid());
            return PeerResponse.ok(PeerProtocol.DONE);
        }
        assertThat(request.operation()).isEqualTo(PeerProtocol.OUTCOME);
        BranchId id = Codec.decodeBranch(request.body());
        asked.add(peer.getPort() + " " + id.gtrid());
        String answer = answers.get(peer).get(id);
        if (answer == null) {
            return PeerResponse.error(503, "not ready", "peer " + peer + " is down in this test");
        }
        return PeerResponse.ok(answer);
    }

    private InDoubtResolver resolver(Map<String, URI> names, Duration after) {
        PeerClient client = new PeerClient(this::send, "a");
        return new InDoubtResolver(node, client, List.of(PEER_B, PEER_C), names::get,
                b -> own.getOrDefault(b, CoordinatorLog.Outcome.IN_PROGRESS), after);
    }

    private static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    private BranchId prepare(String gtrid, String key, String coordinator) {
        BranchId id = branch(gtrid);
        node.prepare(id, work().put(k(key), ("v-" + gtrid).getBytes(StandardCharsets.UTF_8)).coordinator(coordinator).build());
        return id;
    }

    private String value(String key) {
        var v = node.store().get(k(key));
        return v == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    @Test
    void appliesEachCoordinatorsAnswerAndLeavesTheUnansweredPrepared() {
        BranchId committedByB = prepare("t1", "k1", "b");
        BranchId abortedByB = prepare("t2", "k2", "b");
        BranchId runningOnB = prepare("t3", "k3", "b");
        BranchId mine = prepare("t4", "k4", "a");
        BranchId cDown = prepare("t5", "k5", "c");
        answers.get(PEER_B).putAll(Map.of(committedByB, "COMMITTED", abortedByB, "ROLLED_BACK", runningOnB, "IN_PROGRESS"));
        own.put(mine, CoordinatorLog.Outcome.COMMITTED);

        int done = resolver(Map.of("b", PEER_B, "c", PEER_C), Duration.ZERO).resolveOnce(System.currentTimeMillis());

        assertThat(done).isEqualTo(3);
        assertThat(value("k1")).isEqualTo("v-t1");
        assertThat(value("k2")).isNull();
        assertThat(value("k4")).isEqualTo("v-t4");
        assertThat(node.prepared()).containsExactlyInAnyOrder(runningOnB, cDown);
        // Still locked: a reader of k3 waits and times out instead of reading the old value.
        assertThat(node.isWriteLocked(k("k3"))).isTrue();
        assertThat(node.isWriteLocked(k("k5"))).isTrue();
        // Each branch asked its own coordinator only; this node's own branch asked nobody over the network.
        assertThat(asked).containsExactlyInAnyOrder("1 t1", "1 t2", "1 t3", "2 t5");
    }

    @Test
    void asksNothingBeforeInDoubtAfter() {
        BranchId id = prepare("t1", "k1", "b");
        answers.get(PEER_B).put(id, "COMMITTED");
        InDoubtResolver r = resolver(Map.of("b", PEER_B), Duration.ofMinutes(1));

        assertThat(r.resolveOnce(System.currentTimeMillis())).isZero();
        assertThat(asked).isEmpty();
        assertThat(r.resolveOnce(System.currentTimeMillis() + Duration.ofMinutes(2).toMillis())).isEqualTo(1);
        assertThat(value("k1")).isEqualTo("v-t1");
    }

    @Test
    void unknownCoordinatorNameAsksEveryPeerAndTakesTheCoordinatorsAnswer() {
        BranchId id = prepare("t1", "k1", "c");
        answers.get(PEER_B).put(id, "NOT_COORDINATOR");
        answers.get(PEER_C).put(id, "ROLLED_BACK");

        assertThat(resolver(Map.of(), Duration.ZERO).resolveOnce(System.currentTimeMillis())).isEqualTo(1);

        assertThat(node.prepared()).isEmpty();
        assertThat(value("k1")).isNull();
        assertThat(asked).containsExactly("1 t1", "2 t1");
    }

    @Test
    void restoredBranchIsResolvedAfterARestart() {
        BranchId id = prepare("t1", "k1", "b");
        node.close();
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        assertThat(node.prepared()).containsExactly(id);
        answers.get(PEER_B).put(id, "COMMITTED");

        assertThat(resolver(Map.of("b", PEER_B), Duration.ZERO).resolveOnce(System.currentTimeMillis())).isEqualTo(1);

        assertThat(value("k1")).isEqualTo("v-t1");
        assertThat(node.inDoubt()).isEmpty();
    }

    @Test
    void coordinatorsDecisionOutlivesARestartAndIsResentUntilEveryPeerCommitted() {
        BranchId local = prepare("t1", "k1", "a");
        BranchId atB = new BranchId(local.formatId(), local.gtrid(), Bytes.utf8("bq-b"));
        BranchId atC = new BranchId(local.formatId(), local.gtrid(), Bytes.utf8("bq-c"));
        node.commit(local, new Codec.Decision(local.gtrid(), Map.of(PEER_B.toString(), atB, PEER_C.toString(), atC)));
        assertThat(node.hasDecision(local.gtrid())).isTrue();
        // The live fan-out delivered b's commit; c was down.
        node.acknowledged(local.gtrid(), PEER_B.toString());

        node.close();
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        assertThat(node.hasDecision(local.gtrid())).as("the decision survives a restart").isTrue();
        InDoubtResolver r = resolver(Map.of(), Duration.ZERO);
        r.resolveOnce(System.currentTimeMillis());
        assertThat(commits).isEmpty();
        assertThat(node.hasDecision(local.gtrid())).as("kept while c is down").isTrue();

        up.add(PEER_C);
        r.resolveOnce(System.currentTimeMillis());
        assertThat(commits).containsExactly("2 t1");
        assertThat(node.hasDecision(local.gtrid())).isFalse();
        node.close();
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        assertThat(node.hasDecision(local.gtrid())).as("and its removal reached the store").isFalse();
        assertThat(value("k1")).isEqualTo("v-t1");
    }

    @Test
    void heuristicDecisionIsRecordedDurablyAndSurvivesARestart() {
        BranchId id = prepare("t1", "k1", "b");
        node.decideHeuristically(id, false);

        assertThat(node.prepared()).isEmpty();
        assertThat(value("k1")).isNull();
        node.close();
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        assertThat(node.heuristics()).containsEntry(id, io.quarkiverse.level2pc.core.Outcome.ROLLED_BACK);
        node.forgetHeuristic(id);
        node.close();
        node = LocalNode.open(dir, "a", true, 100, Duration.ofMillis(200));
        assertThat(node.heuristics()).isEmpty();
    }
}
