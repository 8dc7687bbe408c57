package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.key;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.PromiseRefusalException;
import io.quarkiverse.level2pc.node.Vote;

/**
 * How the coordinator side reads a peer's answers: every status of the protocol maps to one vote,
 * completion, outcome or exception, so a transaction reacts the same whichever transport carried the
 * answer. Also what it sends: the request bodies the participant side decodes. Failures arrive as failed
 * futures ({@link Futures#join} rethrows their cause).
 */
class PeerClientTest {

    private static final String PEER = "http://10.0.0.2:8080";
    private static final BranchId B = branch("gtrid-1");
    private static final TxWork WORK = write("me", "k", "v");

    /** Answers every call (on the caller's thread) with what {@code answer} says, and records the requests. */
    private static final class Scripted implements PeerTransport {
        final List<URI> peers = new CopyOnWriteArrayList<>();
        final List<PeerRequest> requests = new CopyOnWriteArrayList<>();
        final Function<PeerRequest, PeerResponse> answer;

        Scripted(Function<PeerRequest, PeerResponse> answer) {
            this.answer = answer;
        }

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            peers.add(peer);
            requests.add(request);
            return answer.apply(request);
        }
    }

    private static PeerClient client(PeerTransport t) {
        return new PeerClient(t, "me", Runnable::run);
    }

    private static PeerClient answering(PeerResponse r) {
        return client(new Scripted(req -> r));
    }

    private static PeerClient answering(int status, String error, String detail) {
        return answering(PeerResponse.error(status, error, detail));
    }

    private static <T> T join(CompletableFuture<T> f) {
        return Futures.join(f);
    }

    @Test
    void votesAndCompletions() {
        assertThat(join(answering(PeerResponse.ok(PeerProtocol.VOTE_YES)).prepare(PEER, B, WORK))).isEqualTo(Vote.YES);
        assertThat(join(answering(PeerResponse.ok(PeerProtocol.VOTE_READ_ONLY)).prepare(PEER, B, WORK))).isEqualTo(Vote.READ_ONLY);
        assertThat(join(answering(PeerResponse.ok(PeerProtocol.DONE)).commit(PEER, B))).isEqualTo(Completion.DONE);
        assertThat(join(answering(PeerResponse.ok(PeerProtocol.DONE)).rollback(PEER, B))).isEqualTo(Completion.DONE);
    }

    @Test
    void requestsAreAddressedToThePeerNamedInItsHelloAnswerUntilItSaysMisaddressed() {
        java.util.concurrent.atomic.AtomicReference<String> node = new java.util.concurrent.atomic.AtomicReference<>("b");
        Scripted t = new Scripted(req -> switch (req.operation()) {
            case PeerProtocol.HELLO -> PeerResponse.ok("{\"node\":\"" + node.get() + "\",\"cluster\":\"c\",\"protocol\":5}");
            default -> node.get().equals(req.recipient()) ? PeerResponse.ok(PeerProtocol.DONE)
                    : PeerResponse.error(401, "unauthorized", PeerAuth.MISADDRESSED + ": the request is for node '"
                            + req.recipient() + "', this is node '" + node.get() + "'");
        });
        PeerClient c = client(t);

        join(c.hello(PEER, false));
        assertThat(t.requests.get(0).recipient()).as("the first hello names nobody").isNull();
        assertThat(join(c.commit(PEER, B))).isEqualTo(Completion.DONE);
        assertThat(t.requests.get(1).recipient()).isEqualTo("b");

        node.set("b2"); // another node answers at that address now
        assertThatThrownBy(() -> join(c.commit(PEER, B))).isInstanceOf(PeerRefusedException.class).hasMessageContaining("misaddressed");
        join(c.hello(PEER, false));
        assertThat(t.requests.get(3).recipient()).as("the hello after 'misaddressed' names nobody again").isNull();
        assertThat(join(c.commit(PEER, B))).isEqualTo(Completion.DONE);
        assertThat(t.requests.get(4).recipient()).isEqualTo("b2");
    }

    @Test
    void aRequestTheNetworkDeliveredTwiceIsAnUnknownOutcomeNotAWrongSecret() {
        // The copy handled first made the peer remember the nonce; the original is refused as a replay.
        PeerClient c = answering(401, "unauthorized", PeerAuth.REPLAYED + " (nonce already used)");
        assertThatThrownBy(() -> join(c.commit(PEER, B))).isExactlyInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("reached the peer first").hasMessageContaining("outcome is unknown")
                .hasMessageNotContaining("cluster-secret");
        assertThatThrownBy(() -> join(answering(401, "unauthorized", "bad signature: the caller does not know it").commit(PEER, B)))
                .isInstanceOf(PeerRefusedException.class).hasMessageContaining("quarkus.level-2pc.cluster-secret");
    }

    @Test
    void anUnknownBranchIsUnknownInTheSecondPhase() {
        PeerClient c = answering(404, "unknown branch", "no branch here");
        assertThat(join(c.commit(PEER, B))).isEqualTo(Completion.UNKNOWN);
        assertThat(join(c.rollback(PEER, B))).isEqualTo(Completion.UNKNOWN);
    }

    @Test
    void a404ThatIsNotAnUnknownBranchIsAnError() {
        // e.g. a proxy or another application at the peer's address: never taken as "already completed"
        assertThatThrownBy(() -> join(answering(new PeerResponse(404, "Not Found".getBytes(StandardCharsets.UTF_8))).commit(PEER, B)))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> join(answering(404, "unknown branch", "x").hello(PEER, false))).isInstanceOf(Level2pcException.class);
    }

    @Test
    void anUnexpectedVoteIsAnError() {
        assertThatThrownBy(() -> join(answering(PeerResponse.ok("MAYBE")).prepare(PEER, B, WORK)))
                .isInstanceOf(Level2pcException.class)
                .hasMessageContaining("'MAYBE'");
    }

    @Test
    void aConflictIsAConflictException() {
        assertThatThrownBy(() -> join(answering(409, "conflict", "key k changed").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(ConflictException.class)
                .hasMessageContaining("key k changed");
    }

    @Test
    void anOutOfOrderCallIsAnIllegalState() {
        assertThatThrownBy(() -> join(answering(409, "out of order", "commit of a branch that was rolled back").commit(PEER, B)))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("commit of a branch that was rolled back")
                .hasMessageContaining(PEER);
    }

    @Test
    void aHeuristicDecisionIsAHeuristicOutcomeNamingWhatTheOperatorDid() {
        assertThatThrownBy(() -> join(answering(409, PeerProtocol.HEURISTIC_ROLLBACK, "rolled back by an operator").commit(PEER, B)))
                .isExactlyInstanceOf(PeerLink.HeuristicOutcome.class)
                .hasMessageContaining("rolled back by an operator")
                .satisfies(e -> assertThat(((PeerLink.HeuristicOutcome) e).committed()).isFalse());
        assertThatThrownBy(() -> join(answering(409, PeerProtocol.HEURISTIC_COMMIT, "committed by an operator").rollback(PEER, B)))
                .isExactlyInstanceOf(PeerLink.HeuristicOutcome.class)
                .satisfies(e -> assertThat(((PeerLink.HeuristicOutcome) e).committed()).isTrue());
    }

    @Test
    void aLockWaitTimeoutIsALockWaitTimeoutException() {
        assertThatThrownBy(() -> join(answering(503, "lock wait timeout", "held").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(LockWaitTimeoutException.class);
    }

    @Test
    void aPromiseRefusalCarriesWhenToRetry() {
        assertThatThrownBy(() -> join(answering(PeerResponse.promised("promised node c", 1234)).prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(PromiseRefusalException.class)
                .hasMessageContaining("promised node c")
                .satisfies(e -> assertThat(((PromiseRefusalException) e).retryAfterMillis()).isEqualTo(1234));
        // Written by hand, as another implementation of the protocol would.
        PeerResponse raw = new PeerResponse(503,
                "{\"error\":\"promised\",\"detail\":\"x\",\"retryAfterMillis\":250}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> join(answering(raw).prepare(PEER, B, WORK)))
                .isInstanceOf(PromiseRefusalException.class)
                .satisfies(e -> assertThat(((PromiseRefusalException) e).retryAfterMillis()).isEqualTo(250));
    }

    @Test
    void aPeerThatIsNotReadyIsNotReady() {
        assertThatThrownBy(() -> join(answering(503, "not ready", "node is not open").hello(PEER, false)))
                .isExactlyInstanceOf(NotReadyException.class)
                .hasMessageContaining("node is not open")
                .hasMessageContaining(PEER);
        assertThatThrownBy(() -> join(answering(503, "not ready", "catching up").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(NotReadyException.class);
    }

    @Test
    void otherUnavailabilityIsPeerUnavailable() {
        assertThatThrownBy(() -> join(answering(503, "retry", "busy").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(PeerUnavailableException.class).hasMessageContaining("busy");
        assertThatThrownBy(() -> join(answering(500, "internal error", "boom").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(PeerUnavailableException.class).hasMessageContaining("HTTP 500").hasMessageContaining("boom");
    }

    @Test
    void aTransportFailureFailsTheCall() {
        PeerClient c = client(TransportFixtures.NOWHERE);
        assertThatThrownBy(() -> join(c.hello(PEER, false))).isInstanceOf(PeerUnavailableException.class).hasMessageContaining("hello");
        assertThatThrownBy(() -> join(c.prepare(PEER, B, WORK))).isInstanceOf(PeerUnavailableException.class);
        assertThatThrownBy(() -> join(c.commit(PEER, B))).isInstanceOf(PeerUnavailableException.class);
    }

    @Test
    void aTransportThatThrowsFailsTheFutureInsteadOfTheCaller() {
        // PeerLink's contract: a failed call completes exceptionally (a heartbeat loop must see its hello fail).
        PeerTransport throwing = new PeerTransport() {
            @Override
            public PeerResponse send(URI peer, PeerRequest request) {
                throw new AssertionError("not called");
            }

            @Override
            public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
                throw new RejectedExecutionException("executor shut down");
            }
        };
        PeerClient c = client(throwing);

        CompletableFuture<PeerLink.Hello> hello = c.hello(PEER, true);
        CompletableFuture<Outcome> outcome = c.outcome(PEER, B);
        CompletableFuture<Vote> prepare = c.prepare(PEER, B, WORK);

        assertThatThrownBy(() -> join(hello)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> join(outcome)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> join(prepare)).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void aPeerRefusingThisNodeIsPeerRefusedAndNotRetryable() {
        assertThatThrownBy(() -> join(answering(412, "other cluster", "cluster 'a', the caller 'b'").hello(PEER, false)))
                .isExactlyInstanceOf(PeerRefusedException.class).hasMessageContaining("cluster 'a'")
                .satisfies(e -> assertThat(((Level2pcException) e).isRetryable()).isFalse());
        assertThatThrownBy(() -> join(answering(401, "unauthorized", "bad signature").hello(PEER, false)))
                .isExactlyInstanceOf(PeerRefusedException.class)
                .hasMessageContaining("bad signature")
                .hasMessageContaining("quarkus.level-2pc.cluster-secret");
        assertThatThrownBy(() -> join(answering(403, "not a member", "node 'me' is not among the peers of node 'b'")
                .prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(PeerRefusedException.class)
                .hasMessageContaining("not among the peers")
                .satisfies(e -> assertThat(((Level2pcException) e).isRetryable()).isFalse());
    }

    @Test
    void aNameQueryNamesNobodyAndTeachesThePeersName() {
        Scripted t = new Scripted(r -> PeerResponse.ok(PeerEndpoint.helloJson("b", "c", 42, true, 1, -1)));
        PeerClient c = client(t);
        join(c.hello(PEER, false));
        assertThat(c.nameOf(PEER)).isEqualTo("b");

        assertThat(join(c.askName(PEER)).node()).isEqualTo("b");

        PeerRequest query = t.requests.get(1);
        assertThat(query.operation()).isEqualTo(PeerProtocol.HELLO);
        assertThat(query.body()).isEqualTo(PeerProtocol.ASK_NAME);
        assertThat(query.recipient()).as("a peer renamed since its last answer answers it too").isNull();
        assertThat(c.nameOf("http://10.0.0.3:8080")).isNull();
    }

    @Test
    void aRefusedRequestIsAnErrorWithItsDetail() {
        assertThatThrownBy(() -> join(answering(400, "malformed request", "prepare record cannot be decoded").prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("prepare record cannot be decoded");
        PeerResponse tooLarge = new PeerResponse(413, "Request Entity Too Large".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> join(answering(tooLarge).prepare(PEER, B, WORK)))
                .isExactlyInstanceOf(Level2pcException.class)
                .hasMessageContaining("HTTP 413")
                .hasMessageContaining("Request Entity Too Large");
    }

    @Test
    void helloThatIsNotJsonIsPeerUnavailable() {
        assertThatThrownBy(() -> join(answering(PeerResponse.ok("<html>hello</html>")).hello(PEER, false)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("not JSON");
    }

    @Test
    void helloIsParsedAndAsksForALeaseOnlyWhenTold() {
        Scripted t = new Scripted(r -> PeerResponse.ok(PeerEndpoint.helloJson("b", "c", 42, false, 1, 3000)));
        PeerClient c = client(t);

        assertThat(join(c.hello(PEER, false))).isEqualTo(new PeerLink.Hello("b", "c", PeerProtocol.VERSION, 42, false, 1, 3000));
        assertThat(join(c.hello(PEER, true))).isEqualTo(new PeerLink.Hello("b", "c", PeerProtocol.VERSION, 42, false, 1, 3000));
        assertThat(join(client(new Scripted(r -> PeerResponse.ok(PeerEndpoint.helloJson("b", "c", 42, true, -1, -1))))
                .hello(PEER, false))).as("a peer that does not say its settings")
                .isEqualTo(new PeerLink.Hello("b", "c", PeerProtocol.VERSION, 42, true, -1, -1));
        assertThat(join(client(new Scripted(r -> PeerResponse.ok(PeerEndpoint.helloJson("b", "c", 42, true, 1, 3000, true))))
                .hello(PEER, true))).as("a peer that says the caller is behind")
                .isEqualTo(new PeerLink.Hello("b", "c", PeerProtocol.VERSION, 42, true, 1, 3000, true));

        assertThat(t.requests).extracting(PeerRequest::operation).containsExactly(PeerProtocol.HELLO, PeerProtocol.HELLO);
        assertThat(t.requests.get(0).body()).isEmpty();
        assertThat(t.requests.get(1).body()).isEqualTo(PeerProtocol.ASK_LEASE);
        assertThat(t.peers).containsOnly(URI.create(PEER));
    }

    @Test
    void requestBodiesAreWhatTheParticipantDecodes() {
        Scripted t = new Scripted(
                r -> PeerResponse.ok(r.operation().equals(PeerProtocol.PREPARE) ? PeerProtocol.VOTE_YES : PeerProtocol.DONE));
        PeerClient c = client(t);

        join(c.prepare(PEER, B, WORK));
        join(c.commit(PEER, B));
        join(c.rollback(PEER, B));

        // Sent one at a time, each phase message travels alone, as its own operation.
        assertThat(t.requests).extracting(PeerRequest::operation)
                .containsExactly(PeerProtocol.PREPARE, PeerProtocol.COMMIT, PeerProtocol.ROLLBACK);
        assertThat(t.requests).extracting(PeerRequest::sender).containsOnly("me");
        PrepareRecord r = Codec.decodePrepare(t.requests.get(0).body());
        assertThat(r.branch()).isEqualTo(B);
        assertThat(r.work().coordinator()).isEqualTo("me");
        assertThat(r.work().writes()).containsOnlyKeys(key("k"));
        // Protocol 3: a commit carries the branch only (no one-phase flag, no work).
        assertThat(t.requests.get(1).body()).isEqualTo(Codec.encodeBranch(B));
        assertThat(Codec.decodeBranch(t.requests.get(2).body())).isEqualTo(B);
    }

    @Test
    void outcomeIsTheCoordinatorsAnswerAndSendsTheBranch() {
        Scripted t = new Scripted(r -> PeerResponse.ok("COMMITTED"));

        assertThat(join(client(t).outcome(PEER, B))).isEqualTo(Outcome.COMMITTED);
        assertThat(t.requests.get(0).operation()).isEqualTo(PeerProtocol.OUTCOME);
        assertThat(Codec.decodeBranch(t.requests.get(0).body())).isEqualTo(B);
        assertThat(join(answering(PeerResponse.ok("NOT_AN_OUTCOME")).outcome(PEER, B))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void branchStateSendsTheGlobalIdAndReadsTheOutcome() {
        Scripted t = new Scripted(r -> PeerResponse.ok("IN_PROGRESS"));

        assertThat(join(client(t).branchState(PEER, B.gtrid()))).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(t.requests.get(0).operation()).isEqualTo(PeerProtocol.BRANCH_STATE);
        assertThat(t.requests.get(0).body()).isEqualTo(B.gtrid().toArray());
    }

    @Test
    void catchUpAndCaughtUpRoundTrip() {
        Bytes g = Bytes.utf8("gtrid-hint");
        CatchUp answer = new CatchUp(List.of(new KeyState(key("k"), Bytes.utf8("v1"), TransportFixtures.utf8("x"))),
                List.of(new PrepareRecord(B, WORK)), List.of(g));
        Scripted t = new Scripted(r -> r.operation().equals(PeerProtocol.CATCH_UP) ? PeerResponse.ok(Codec.encodeCatchUp(answer))
                : PeerResponse.ok(PeerProtocol.DONE));
        PeerClient c = client(t);

        CatchUp got = join(c.catchUp(PEER));
        join(c.caughtUp(PEER, List.of(g)));

        assertThat(got.hints()).containsExactly(g);
        assertThat(got.inFlight()).extracting(PrepareRecord::branch).containsExactly(B);
        assertThat(got.keys()).extracting(KeyState::key).containsExactly(key("k"));
        assertThat(t.requests.get(1).operation()).isEqualTo(PeerProtocol.CAUGHT_UP);
        assertThat(Codec.decodeGtrids(t.requests.get(1).body())).containsExactly(g);
        assertThatThrownBy(() -> join(answering(PeerResponse.ok(new byte[] { 1, 2, 3 })).catchUp(PEER)))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("unreadable");
    }

    @Test
    void recoverDecodesTheBranchList() {
        BranchId other = branch("gtrid-2");
        assertThat(answering(PeerResponse.ok(Codec.encodeBranches(List.of(B, other)))).recover(PEER)).containsExactly(B, other);
        assertThatThrownBy(() -> answering(PeerResponse.ok(new byte[] { 9 })).recover(PEER)).isInstanceOf(PeerUnavailableException.class);
    }

    @Test
    void theClientNamesItself() {
        assertThat(client(new Scripted(r -> PeerResponse.ok(PeerProtocol.DONE))).self()).isEqualTo("me");
    }
}
