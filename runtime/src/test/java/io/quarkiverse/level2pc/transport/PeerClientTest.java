package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;

/**
 * How the coordinator side reads a peer's answers: every status of the protocol maps to one vote,
 * completion or exception, so a transaction reacts the same whichever transport carried the answer.
 * Also what it sends: the request bodies the participant side decodes.
 */
class PeerClientTest {

    private static final URI PEER = URI.create("http://10.0.0.2:8080");
    private static final BranchId B = new BranchId(131077, Bytes.utf8("gtrid-1"), Bytes.utf8("bq"));
    private static final TxWork WORK = new TxWork(new TreeMap<>(Map.of(Bytes.utf8("k"), new byte[] { 1 })), Map.of(), "me");

    /** Answers every call with one response and records the requests. */
    private static final class Scripted implements PeerTransport {
        final List<PeerRequest> requests = new ArrayList<>();
        final PeerResponse answer;

        Scripted(PeerResponse answer) {
            this.answer = answer;
        }

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            requests.add(request);
            return answer;
        }
    }

    private static PeerClient answering(PeerResponse r) {
        return new PeerClient(new Scripted(r), "me");
    }

    private static PeerClient answering(int status, String error, String detail) {
        return answering(PeerResponse.error(status, error, detail));
    }

    @Test
    void votesAndCompletions() {
        assertThat(answering(PeerResponse.ok(PeerProtocol.VOTE_YES)).prepare(PEER, B, WORK)).isEqualTo(LocalNode.Vote.YES);
        assertThat(answering(PeerResponse.ok(PeerProtocol.VOTE_READ_ONLY)).prepare(PEER, B, WORK)).isEqualTo(LocalNode.Vote.READ_ONLY);
        assertThat(answering(PeerResponse.ok(PeerProtocol.DONE)).commit(PEER, B)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(answering(PeerResponse.ok(PeerProtocol.DONE)).rollback(PEER, B)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(answering(PeerResponse.ok(PeerProtocol.DONE)).commitOnePhase(PEER, B, WORK)).isEqualTo(LocalNode.Completion.DONE);
    }

    @Test
    void anUnknownBranchIsUnknownInTheSecondPhase() {
        PeerClient c = answering(404, "unknown branch", "no branch here");
        assertThat(c.commit(PEER, B)).isEqualTo(LocalNode.Completion.UNKNOWN);
        assertThat(c.rollback(PEER, B)).isEqualTo(LocalNode.Completion.UNKNOWN);
    }

    @Test
    void a404ThatIsNotAnUnknownBranchIsAnError() {
        // e.g. a proxy or another application at the peer's address: never taken as "already completed"
        assertThatThrownBy(() -> answering(new PeerResponse(404, "Not Found".getBytes())).commit(PEER, B))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> answering(404, "unknown branch", "x").hello(PEER)).isInstanceOf(Level2pcException.class);
    }

    @Test
    void anUnexpectedVoteIsAnError() {
        assertThatThrownBy(() -> answering(PeerResponse.ok("MAYBE")).prepare(PEER, B, WORK))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("'MAYBE'");
    }

    @Test
    void aConflictIsAConflictException() {
        assertThatThrownBy(() -> answering(409, "conflict", "key k changed").prepare(PEER, B, WORK))
                .isExactlyInstanceOf(ConflictException.class)
                .hasMessageContaining("key k changed");
    }

    @Test
    void anOutOfOrderCallIsAnIllegalState() {
        assertThatThrownBy(() -> answering(409, "out of order", "commit of a branch that was rolled back").commit(PEER, B))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("commit of a branch that was rolled back")
                .hasMessageContaining(PEER.toString());
    }

    @Test
    void aLockWaitTimeoutIsALockWaitTimeoutException() {
        assertThatThrownBy(() -> answering(503, "lock wait timeout", "held").commitOnePhase(PEER, B, WORK))
                .isExactlyInstanceOf(LockWaitTimeoutException.class);
    }

    @Test
    void unavailabilityIsPeerUnavailable() {
        assertThatThrownBy(() -> answering(503, "not ready", "node is not open").hello(PEER))
                .isExactlyInstanceOf(PeerUnavailableException.class).hasMessageContaining("node is not open");
        assertThatThrownBy(() -> answering(500, "internal error", "boom").prepare(PEER, B, WORK))
                .isExactlyInstanceOf(PeerUnavailableException.class).hasMessageContaining("HTTP 500").hasMessageContaining("boom");
    }

    @Test
    void aPeerRefusingThisNodeIsPeerRefusedAndNotRetryable() {
        assertThatThrownBy(() -> answering(412, "other cluster", "cluster 'a', the caller 'b'").hello(PEER))
                .isExactlyInstanceOf(io.quarkiverse.level2pc.PeerRefusedException.class).hasMessageContaining("cluster 'a'")
                .satisfies(e -> assertThat(((io.quarkiverse.level2pc.Level2pcException) e).isRetryable()).isFalse());
        assertThatThrownBy(() -> answering(401, "unauthorized", "bad signature").hello(PEER))
                .isExactlyInstanceOf(io.quarkiverse.level2pc.PeerRefusedException.class)
                .hasMessageContaining("bad signature")
                .hasMessageContaining("quarkus.level-2pc.cluster-secret");
    }

    @Test
    void aRefusedRequestIsAnErrorWithItsDetail() {
        assertThatThrownBy(() -> answering(400, "malformed request", "prepare record cannot be decoded").prepare(PEER, B, WORK))
                .isExactlyInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("prepare record cannot be decoded");
        assertThatThrownBy(() -> answering(new PeerResponse(413, "Request Entity Too Large".getBytes())).prepare(PEER, B, WORK))
                .isExactlyInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 413")
                .hasMessageContaining("Request Entity Too Large");
    }

    @Test
    void helloThatIsNotJsonIsPeerUnavailable() {
        assertThatThrownBy(() -> answering(PeerResponse.ok("<html>hello</html>")).hello(PEER))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("not JSON");
    }

    @Test
    void helloIsParsed() {
        assertThat(answering(PeerResponse.ok(PeerEndpoint.helloJson("b", "c", 42, false))).hello(PEER))
                .isEqualTo(new PeerClient.Hello("b", "c", PeerProtocol.VERSION, 42, false));
    }

    @Test
    void requestBodiesAreWhatTheParticipantDecodes() {
        Scripted t = new Scripted(PeerResponse.ok(PeerProtocol.DONE));
        PeerClient c = new PeerClient(t, "me");

        c.commit(PEER, B);
        c.commitOnePhase(PEER, B, WORK);
        c.rollback(PEER, B);

        PeerRequest commit = t.requests.get(0);
        assertThat(commit.sender()).isEqualTo("me");
        assertThat(commit.operation()).isEqualTo(PeerProtocol.COMMIT);
        assertThat(commit.body()[0]).isEqualTo((byte) 0);
        assertThat(Codec.decodeBranch(java.util.Arrays.copyOfRange(commit.body(), 1, commit.body().length))).isEqualTo(B);
        PeerRequest onePhase = t.requests.get(1);
        assertThat(onePhase.body()[0]).isEqualTo((byte) 1);
        Codec.PrepareRecord r = Codec.decodePrepare(java.util.Arrays.copyOfRange(onePhase.body(), 1, onePhase.body().length));
        assertThat(r.branch()).isEqualTo(B);
        assertThat(r.work().coordinator()).isEqualTo("me");
        assertThat(Codec.decodeBranch(t.requests.get(2).body())).isEqualTo(B);
    }

    @Test
    void outcomeIsTheCoordinatorsAnswerAndSendsTheBranch() {
        Scripted t = new Scripted(PeerResponse.ok("COMMITTED"));

        assertThat(new PeerClient(t, "me").outcome(PEER, B)).isEqualTo("COMMITTED");
        assertThat(t.requests.get(0).operation()).isEqualTo(PeerProtocol.OUTCOME);
        assertThat(Codec.decodeBranch(t.requests.get(0).body())).isEqualTo(B);
    }

    @Test
    void recoverDecodesTheBranchList() {
        BranchId other = new BranchId(131077, Bytes.utf8("gtrid-2"), Bytes.utf8("bq"));
        assertThat(answering(PeerResponse.ok(Codec.encodeBranches(List.of(B, other)))).recover(PEER)).containsExactly(B, other);
    }
}
