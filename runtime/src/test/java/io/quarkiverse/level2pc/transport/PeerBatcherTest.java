package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.utf8;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Vote;

/**
 * The network's group commit: a phase message goes out alone while fewer than
 * {@value PeerBatcher#IN_FLIGHT} requests are on their way to its peer; beyond that messages wait and
 * leave together in one {@code batch} request, and each gets its own answer back. Driven by a transport
 * whose requests the test answers by hand.
 */
class PeerBatcherTest {

    private static final String A = "http://10.0.0.1:8080";
    private static final String B = "http://10.0.0.2:8080";
    private static final Executor EXECUTOR = Runnable::run;

    /** One request the batcher sent, answered when the test says. */
    private record Sent(URI peer, PeerRequest request, Executor executor, CompletableFuture<PeerResponse> answer) {
        List<byte[]> frames() {
            return Codec.decodeFrames(request.body(), PeerBatcher.MAX_MESSAGES);
        }
    }

    /** Records every request; completes none by itself. */
    private static final class ByHand implements PeerTransport {
        final List<Sent> sent = new CopyOnWriteArrayList<>();

        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            throw new AssertionError("the batcher sends without blocking");
        }

        @Override
        public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
            CompletableFuture<PeerResponse> f = new CompletableFuture<>();
            sent.add(new Sent(peer, request, executor, f));
            return f;
        }

        List<Sent> to(String peer) {
            return sent.stream().filter(s -> s.peer().equals(URI.create(peer))).toList();
        }
    }

    /** Time and timers by hand: the tests set the clock and run the tasks; a cancelled task becomes a no-op. */
    private static final class HandScheduler implements io.quarkiverse.level2pc.node.Scheduler {
        final List<Runnable> timers = new ArrayList<>();
        final List<Long> delays = new ArrayList<>();
        long now;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public long currentTimeMillis() {
            return 0;
        }

        @Override
        public Cancellable schedule(long delayNanos, Runnable task) {
            timers.add(task);
            delays.add(delayNanos);
            int i = timers.size() - 1;
            return () -> timers.set(i, () -> {
            });
        }
    }

    private final ByHand transport = new ByHand();
    private final PeerBatcher batcher = new PeerBatcher(transport, "me", EXECUTOR);

    private static byte[] body(String s) {
        return utf8(s);
    }

    /** Fills {@code peer}'s in-flight requests with lone prepares; returns them. */
    private List<CompletableFuture<PeerResponse>> saturate(String peer) {
        List<CompletableFuture<PeerResponse>> lone = new ArrayList<>();
        for (int i = 0; i < PeerBatcher.IN_FLIGHT; i++) {
            lone.add(batcher.send(peer, PeerProtocol.PREPARE, body("lone-" + i)));
        }
        assertThat(transport.to(peer)).hasSize(PeerBatcher.IN_FLIGHT);
        return lone;
    }

    private static PeerResponse batchAnswer(PeerResponse... answers) {
        return PeerResponse.ok(Codec.encodeFrames(Arrays.stream(answers).map(PeerBatcher::answerFrame).toList()));
    }

    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void aTracedMessageTravelsInABatchFrameWithItsTraceContextEvenAlone() {
        CompletableFuture<PeerResponse> answer = batcher.send(A, PeerProtocol.PREPARE, body("record"), TRACEPARENT);

        Sent s = transport.sent.get(0);
        assertThat(transport.sent).hasSize(1);
        assertThat(s.request().operation()).as("a traced message is signed with its trace context: in the body")
                .isEqualTo(PeerProtocol.BATCH);
        byte[] f = s.frames().get(0);
        assertThat(f[0]).isEqualTo(PeerProtocol.FRAME_TRACED_PREPARE);
        assertThat(new String(f, 1, PeerProtocol.TRACEPARENT_LENGTH, StandardCharsets.US_ASCII)).isEqualTo(TRACEPARENT);
        assertThat(Arrays.copyOfRange(f, 1 + PeerProtocol.TRACEPARENT_LENGTH, f.length)).isEqualTo(body("record"));

        s.answer().complete(batchAnswer(PeerResponse.ok(PeerProtocol.VOTE_YES)));
        assertThat(answer.join().bodyText()).as("its own answer, out of the batch answer").isEqualTo(PeerProtocol.VOTE_YES);
    }

    @Test
    void anInvalidTraceContextIsDroppedAndTheMessageGoesOutUntraced() {
        for (String bad : List.of("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", // version
                "00-00000000000000000000000000000000-b7ad6b7169203331-01", // all-zero trace id
                "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", // all-zero span id
                "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", // upper case
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")) {
            assertThat(PeerBatcher.validTraceparent(bad)).as(bad).isFalse();
        }
        assertThat(PeerBatcher.validTraceparent(TRACEPARENT)).isTrue();

        batcher.send(A, PeerProtocol.COMMIT, body("branch"), "00-nonsense");
        assertThat(transport.sent).singleElement().satisfies(s -> {
            assertThat(s.request().operation()).isEqualTo(PeerProtocol.COMMIT);
            assertThat(s.request().body()).isEqualTo(body("branch"));
        });
    }

    @Test
    void aLoneMessageGoesOutAloneAtOnceAsItsOwnOperation() {
        CompletableFuture<PeerResponse> answer = batcher.send(A, PeerProtocol.COMMIT, body("branch"));

        assertThat(transport.sent).singleElement().satisfies(s -> {
            assertThat(s.peer()).isEqualTo(URI.create(A));
            assertThat(s.request().operation()).isEqualTo(PeerProtocol.COMMIT);
            assertThat(s.request().sender()).isEqualTo("me");
            assertThat(s.request().body()).isEqualTo(body("branch"));
            assertThat(s.executor()).isSameAs(EXECUTOR);
        });
        assertThat(answer).isNotDone();

        PeerResponse done = PeerResponse.ok(PeerProtocol.DONE);
        transport.sent.get(0).answer().complete(done);
        assertThat(answer).isCompletedWithValue(done);
    }

    @Test
    void beyondTheRequestsInFlightMessagesWaitThenLeaveTogetherInSubmissionOrder() {
        List<CompletableFuture<PeerResponse>> lone = saturate(A);

        List<CompletableFuture<PeerResponse>> waiting = IntStream.range(1, 4)
                .mapToObj(i -> batcher.send(A, PeerProtocol.PREPARE, body("prepare-" + i))).toList();
        assertThat(transport.sent).as("they wait while %d requests are in flight", PeerBatcher.IN_FLIGHT)
                .hasSize(PeerBatcher.IN_FLIGHT);

        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        assertThat(lone.get(0)).isCompleted();
        assertThat(transport.sent).hasSize(PeerBatcher.IN_FLIGHT + 1);
        Sent batch = transport.sent.get(PeerBatcher.IN_FLIGHT);
        assertThat(batch.request().operation()).isEqualTo(PeerProtocol.BATCH);
        assertThat(batch.request().sender()).isEqualTo("me");
        assertThat(batch.frames()).containsExactly(frame('p', "prepare-1"), frame('p', "prepare-2"), frame('p', "prepare-3"));
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
    }

    @Test
    void commitsAndRollbacksShareTheLaneAndLeaveWithThePreparesWaitingInSubmissionOrder() {
        saturate(A); // e.g. lone prepares of older transactions waiting there for locks
        CompletableFuture<PeerResponse> prepare = batcher.send(A, PeerProtocol.PREPARE, body("prepare-1"));
        CompletableFuture<PeerResponse> c2 = batcher.send(A, PeerProtocol.COMMIT, body("commit-2"));
        CompletableFuture<PeerResponse> r3 = batcher.send(A, PeerProtocol.ROLLBACK, body("rollback-3"));
        assertThat(transport.sent).as("one lane: the second phase waits with the prepares").hasSize(PeerBatcher.IN_FLIGHT);

        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        Sent batch = transport.sent.get(PeerBatcher.IN_FLIGHT);
        assertThat(batch.frames()).containsExactly(frame('p', "prepare-1"), frame('c', "commit-2"), frame('r', "rollback-3"));
        batch.answer().complete(batchAnswer(PeerResponse.ok(PeerProtocol.VOTE_YES), PeerResponse.ok(PeerProtocol.DONE),
                PeerResponse.ok(PeerProtocol.DONE)));
        assertThat(prepare.join().bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(List.of(c2, r3)).allMatch(f -> f.join().bodyText().equals(PeerProtocol.DONE));
    }

    @Test
    void aCommitWaitsBehindLonePreparesThatMayWaitForLocksAtMostTheSlowRequestTime() {
        HandScheduler byHand = new HandScheduler();
        PeerBatcher b = new PeerBatcher(transport, "me", EXECUTOR, peer -> null, byHand, java.time.Duration.ZERO);
        for (int i = 0; i < PeerBatcher.IN_FLIGHT; i++) {
            b.send(A, PeerProtocol.PREPARE, body("waits-for-a-lock-" + i)); // alone: the peer may hold them
        }
        CompletableFuture<PeerResponse> commit = b.send(A, PeerProtocol.COMMIT, body("releases-the-lock"));
        assertThat(transport.to(A)).hasSize(PeerBatcher.IN_FLIGHT);

        byHand.timers.get(0).run(); // the first lone prepare turned slow: SLOW_REQUEST_NANOS after it left

        assertThat(transport.to(A)).as("the commit took its slot").hasSize(PeerBatcher.IN_FLIGHT + 1);
        assertThat(transport.sent.get(PeerBatcher.IN_FLIGHT).request().operation()).isEqualTo(PeerProtocol.COMMIT);
        transport.sent.get(PeerBatcher.IN_FLIGHT).answer().complete(PeerResponse.ok(PeerProtocol.DONE));
        assertThat(commit.join().bodyText()).isEqualTo(PeerProtocol.DONE);
    }

    private static byte[] frame(char op, String body) {
        byte[] b = body(body);
        byte[] f = new byte[b.length + 1];
        f[0] = (byte) op;
        System.arraycopy(b, 0, f, 1, b.length);
        return f;
    }

    @Test
    void eachMessageGetsItsOwnAnswerFromTheBatch() {
        saturate(A);
        CompletableFuture<PeerResponse> first = batcher.send(A, PeerProtocol.PREPARE, body("1"));
        CompletableFuture<PeerResponse> second = batcher.send(A, PeerProtocol.PREPARE, body("2"));
        CompletableFuture<PeerResponse> third = batcher.send(A, PeerProtocol.PREPARE, body("3"));
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        PeerResponse conflict = PeerResponse.error(409, "conflict", "key 'k' is locked");
        PeerResponse unknown = PeerResponse.error(404, "unknown branch", "no branch");
        transport.sent.get(PeerBatcher.IN_FLIGHT).answer()
                .complete(batchAnswer(PeerResponse.ok(PeerProtocol.VOTE_YES), conflict, unknown));

        assertThat(first.join().status()).isEqualTo(200);
        assertThat(first.join().bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(second.join().status()).isEqualTo(409);
        assertThat(second.join().body()).isEqualTo(conflict.body());
        assertThat(third.join().status()).isEqualTo(404);
        assertThat(third.join().body()).isEqualTo(unknown.body());
    }

    @Test
    void aFailedBatchRequestFailsEveryMessageInIt() {
        saturate(A);
        List<CompletableFuture<PeerResponse>> batched = IntStream.range(0, 3)
                .mapToObj(i -> batcher.send(A, PeerProtocol.PREPARE, body("r" + i))).toList();
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        PeerUnavailableException down = new PeerUnavailableException("peer went away");
        transport.sent.get(PeerBatcher.IN_FLIGHT).answer().completeExceptionally(down);

        assertThat(batched).allSatisfy(f -> assertThatThrownBy(() -> Futures.join(f)).isSameAs(down));
    }

    @Test
    void aBatchRefusedAsAWholeHandsTheRefusalToEveryMessage() {
        saturate(A);
        List<CompletableFuture<PeerResponse>> batched = IntStream.range(0, 3)
                .mapToObj(i -> batcher.send(A, PeerProtocol.PREPARE, body("c" + i))).toList();
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        PeerResponse unauthorized = PeerResponse.error(401, "unauthorized", "bad signature");
        transport.sent.get(PeerBatcher.IN_FLIGHT).answer().complete(unauthorized);

        assertThat(batched).allSatisfy(f -> assertThat(f).isCompletedWithValue(unauthorized));
    }

    @Test
    void anUnreadableBatchAnswerFailsEveryMessageAsUnavailable() {
        saturate(A);
        List<CompletableFuture<PeerResponse>> batched = IntStream.range(0, 2)
                .mapToObj(i -> batcher.send(A, PeerProtocol.PREPARE, body("c" + i))).toList();
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        // One answer for two messages.
        transport.sent.get(PeerBatcher.IN_FLIGHT).answer().complete(batchAnswer(PeerResponse.ok(PeerProtocol.DONE)));

        assertThat(batched).allSatisfy(f -> assertThatThrownBy(() -> Futures.join(f))
                .isInstanceOf(PeerUnavailableException.class).hasMessageContaining("unreadable"));
    }

    @Test
    void queuesPerPeerAreIndependent() {
        saturate(A);
        CompletableFuture<PeerResponse> waiting = batcher.send(A, PeerProtocol.PREPARE, body("waits"));

        CompletableFuture<PeerResponse> toB = batcher.send(B, PeerProtocol.PREPARE, body("alone"));

        assertThat(transport.to(B)).as("B's first message leaves at once, however busy A is").singleElement()
                .satisfies(s -> assertThat(s.request().operation()).isEqualTo(PeerProtocol.PREPARE));
        transport.to(B).get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        assertThat(toB).isCompleted();
        assertThat(waiting).isNotDone();
        assertThat(transport.to(A)).hasSize(PeerBatcher.IN_FLIGHT);
    }

    @Test
    void aLoneWaitingMessageLeavesAsItsOwnOperation() {
        saturate(A);
        CompletableFuture<PeerResponse> waiting = batcher.send(A, PeerProtocol.PREPARE, body("only"));
        transport.sent.get(1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        Sent next = transport.sent.get(PeerBatcher.IN_FLIGHT);
        assertThat(next.request().operation()).as("one waiting message needs no batch").isEqualTo(PeerProtocol.PREPARE);
        assertThat(next.request().body()).isEqualTo(body("only"));
        next.answer().complete(PeerResponse.ok(PeerProtocol.DONE));
        assertThat(waiting.join().bodyText()).isEqualTo(PeerProtocol.DONE);
    }

    @Test
    void aBatchHoldsAtMostMaxMessagesAndTheRestFollow() {
        saturate(A);
        int n = PeerBatcher.MAX_MESSAGES + 10;
        for (int i = 0; i < n; i++) {
            batcher.send(A, PeerProtocol.PREPARE, body("c" + i));
        }
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        transport.sent.get(1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        assertThat(transport.sent).hasSize(PeerBatcher.IN_FLIGHT + 2);
        Sent full = transport.sent.get(PeerBatcher.IN_FLIGHT);
        Sent rest = transport.sent.get(PeerBatcher.IN_FLIGHT + 1);
        assertThat(full.frames()).hasSize(PeerBatcher.MAX_MESSAGES);
        assertThat(full.frames().get(0)).isEqualTo(frame('p', "c0"));
        assertThat(rest.frames()).hasSize(10);
        assertThat(rest.frames().get(0)).isEqualTo(frame('p', "c" + PeerBatcher.MAX_MESSAGES));
    }

    @Test
    void aBatchIsClosedOnceItsBodiesReachTheByteLimit() {
        saturate(A);
        byte[] big = new byte[PeerBatcher.MAX_BATCH_BYTES / 2 + 1];
        for (int i = 0; i < 3; i++) {
            batcher.send(A, PeerProtocol.PREPARE, big);
        }
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        transport.sent.get(1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));

        assertThat(transport.sent.get(PeerBatcher.IN_FLIGHT).frames()).as("two bodies pass the limit").hasSize(2);
        assertThat(transport.sent.get(PeerBatcher.IN_FLIGHT + 1).request().operation()).isEqualTo(PeerProtocol.PREPARE);
    }

    @Test
    void aTransportThatThrowsInsteadOfFailingTheFutureFailsTheMessageAndFreesTheQueue() {
        // e.g. PeerTransport.sendAsync's default hands the call to an executor that was shut down
        List<PeerRequest> accepted = new CopyOnWriteArrayList<>();
        PeerTransport refusing = new PeerTransport() {
            @Override
            public PeerResponse send(URI peer, PeerRequest request) {
                accepted.add(request);
                return PeerResponse.ok(PeerProtocol.DONE);
            }

            @Override
            public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
                if (new String(request.body(), StandardCharsets.UTF_8).startsWith("reject")) {
                    throw new RejectedExecutionException("executor shut down");
                }
                return PeerTransport.super.sendAsync(peer, request, executor);
            }
        };
        PeerBatcher b = new PeerBatcher(refusing, "me", EXECUTOR);

        for (int i = 0; i < PeerBatcher.IN_FLIGHT + 1; i++) {
            CompletableFuture<PeerResponse> f = b.send(A, PeerProtocol.COMMIT, body("reject-" + i));
            assertThatThrownBy(() -> Futures.join(f)).isInstanceOf(RejectedExecutionException.class);
        }
        assertThat(b.send(A, PeerProtocol.COMMIT, body("fine")).join().bodyText()).as("the peer's queue is not stuck")
                .isEqualTo(PeerProtocol.DONE);
        assertThat(accepted).extracting(r -> new String(r.body(), StandardCharsets.UTF_8)).containsExactly("fine");
    }

    @Test
    void throughTheClientEachBatchedCallGetsItsOwnVoteOrFailure() {
        PeerClient client = new PeerClient(transport, "me", EXECUTOR);
        BranchId b1 = branch("b1");
        BranchId b2 = branch("b2");
        BranchId b3 = branch("b3");
        List<CompletableFuture<Vote>> lone = IntStream.range(0, PeerBatcher.IN_FLIGHT)
                .mapToObj(i -> client.prepare(A, branch("l" + i), write("me", "l" + i, "v"))).toList();
        CompletableFuture<Vote> yes = client.prepare(A, b1, write("me", "k1", "v"));
        CompletableFuture<Vote> no = client.prepare(A, b2, write("me", "k2", "v"));
        CompletableFuture<Completion> unknown = client.commit(A, b3);
        assertThat(transport.sent).as("the commit waits with the prepares").hasSize(PeerBatcher.IN_FLIGHT);
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        assertThat(lone.get(0).join()).isEqualTo(Vote.YES);

        Sent batch = transport.sent.get(PeerBatcher.IN_FLIGHT);
        assertThat(batch.request().operation()).isEqualTo(PeerProtocol.BATCH);
        assertThat(batch.frames()).hasSize(3);
        assertThat(Codec.decodePrepare(Arrays.copyOfRange(batch.frames().get(1), 1, batch.frames().get(1).length)).branch())
                .isEqualTo(b2);
        assertThat(batch.frames().get(2)[0]).isEqualTo((byte) 'c');
        batch.answer().complete(batchAnswer(PeerResponse.ok(PeerProtocol.VOTE_YES), PeerResponse.error(409, "conflict", "k2 changed"),
                PeerResponse.error(404, "unknown branch", "no branch")));

        assertThat(yes.join()).isEqualTo(Vote.YES);
        assertThatThrownBy(() -> Futures.join(no)).isExactlyInstanceOf(ConflictException.class).hasMessageContaining("k2 changed");
        assertThat(unknown.join()).isEqualTo(Completion.UNKNOWN);
        // A refusal of the whole batch reaches every call as what it means. Requests l1.. are still in flight:
        // r1 leaves alone, r2 and r3 wait for a batch.
        CompletableFuture<Vote> alone = client.prepare(A, branch("r1"), write("me", "r1", "v"));
        CompletableFuture<Vote> refused = client.prepare(A, branch("r2"), write("me", "r2", "v"));
        CompletableFuture<Vote> refusedToo = client.prepare(A, branch("r3"), write("me", "r3", "v"));
        assertThat(transport.sent.get(PeerBatcher.IN_FLIGHT + 1).request().operation()).isEqualTo(PeerProtocol.PREPARE);
        transport.sent.get(1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        Sent second = transport.sent.get(PeerBatcher.IN_FLIGHT + 2);
        assertThat(second.frames()).hasSize(2);
        second.answer().complete(PeerResponse.error(401, "unauthorized", "bad signature"));
        assertThat(alone).isNotDone();
        assertThatThrownBy(() -> Futures.join(refused)).isInstanceOf(PeerRefusedException.class);
        assertThatThrownBy(() -> Futures.join(refusedToo)).isInstanceOf(PeerRefusedException.class);
    }

    @Test
    void aBatchedPrepareAnsweredWaitAloneIsSentAgainOnItsOwnOutsideTheLaneAndGetsThatAnswer() {
        saturate(A);
        CompletableFuture<PeerResponse> waits = batcher.send(A, PeerProtocol.PREPARE, body("waits"));
        CompletableFuture<PeerResponse> other = batcher.send(A, PeerProtocol.PREPARE, body("other"));
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        Sent batch = transport.sent.get(PeerBatcher.IN_FLIGHT);
        assertThat(batch.frames()).hasSize(2);

        batch.answer().complete(batchAnswer(PeerResponse.error(PeerProtocol.WAIT_ALONE, "wait alone", "k is locked"),
                PeerResponse.ok(PeerProtocol.VOTE_YES)));

        assertThat(other.join().bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(waits).as("not answered 423: sent again").isNotDone();
        Sent again = transport.sent.get(PeerBatcher.IN_FLIGHT + 1);
        assertThat(again.request().operation()).as("alone, unframed").isEqualTo(PeerProtocol.PREPARE);
        assertThat(again.request().body()).isEqualTo(body("waits"));
        assertThat(transport.to(A)).as("though the lane is full again (the batch's slot went to nobody else)")
                .hasSize(PeerBatcher.IN_FLIGHT + 2);
        again.answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        assertThat(waits.join().bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
    }

    @Test
    void aLoneMessageAnsweredWaitAloneGetsThatAnswerAsItIs() {
        CompletableFuture<PeerResponse> lone = batcher.send(A, PeerProtocol.PREPARE, body("lone"));
        transport.sent.get(0).answer().complete(PeerResponse.error(PeerProtocol.WAIT_ALONE, "wait alone", "?"));

        assertThat(lone.join().status()).as("only a batch of several is answered so; never sent in a loop")
                .isEqualTo(PeerProtocol.WAIT_ALONE);
        assertThat(transport.sent).hasSize(1);
    }

    @Test
    void aSlowRequestGivesItsSlotBackSoLaterMessagesDoNotWaitForIt() {
        HandScheduler byHand = new HandScheduler();
        PeerBatcher b = new PeerBatcher(transport, "me", EXECUTOR, peer -> null, byHand, java.time.Duration.ZERO);
        for (int i = 0; i < PeerBatcher.IN_FLIGHT; i++) {
            b.send(A, PeerProtocol.PREPARE, body("slow-" + i));
        }
        b.send(A, PeerProtocol.PREPARE, body("queued"));
        assertThat(transport.to(A)).as("the lane is full").hasSize(PeerBatcher.IN_FLIGHT);
        assertThat(byHand.delays).as("a timer per request").hasSize(PeerBatcher.IN_FLIGHT)
                .allMatch(d -> d == PeerBatcher.SLOW_REQUEST_NANOS);

        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        byHand.timers.get(0).run(); // cancelled: answered before it turned slow
        assertThat(transport.to(A)).as("the answer freed the slot once").hasSize(PeerBatcher.IN_FLIGHT + 1);

        b.send(A, PeerProtocol.PREPARE, body("next"));
        assertThat(transport.to(A)).as("the lane is full again").hasSize(PeerBatcher.IN_FLIGHT + 1);
        byHand.timers.get(1).run(); // request 1 turned slow
        assertThat(transport.to(A)).as("its slot went to the waiting prepare").hasSize(PeerBatcher.IN_FLIGHT + 2);
        transport.sent.get(1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        b.send(A, PeerProtocol.PREPARE, body("after"));
        assertThat(transport.to(A)).as("its late answer freed nothing a second time: the lane is still full")
                .hasSize(PeerBatcher.IN_FLIGHT + 2);
    }

    @Test
    void aPrepareSentAgainAloneStillAnswersWithinTheCallTimeoutCountedFromWhenItWasHandedOver() {
        HandScheduler clock = new HandScheduler();
        PeerBatcher b = new PeerBatcher(transport, "me", EXECUTOR, peer -> null, clock, java.time.Duration.ofMillis(100));
        for (int i = 0; i < PeerBatcher.IN_FLIGHT; i++) {
            b.send(A, PeerProtocol.PREPARE, body("lone-" + i));
        }
        CompletableFuture<PeerResponse> waits = b.send(A, PeerProtocol.PREPARE, body("waits")); // handed over at 0
        CompletableFuture<PeerResponse> late = b.send(A, PeerProtocol.PREPARE, body("late"));
        clock.now = 30_000_000;
        transport.sent.get(0).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        Sent batch = transport.sent.get(PeerBatcher.IN_FLIGHT);
        clock.now = 40_000_000;

        batch.answer().complete(batchAnswer(PeerResponse.error(PeerProtocol.WAIT_ALONE, "wait alone", "k"),
                PeerResponse.error(PeerProtocol.WAIT_ALONE, "wait alone", "k")));

        assertThat(transport.sent).as("both sent again alone").hasSize(PeerBatcher.IN_FLIGHT + 3);
        assertThat(clock.delays.subList(clock.delays.size() - 2, clock.delays.size())).as("each bounded by what is left of 100 ms")
                .containsExactly(60_000_000L, 60_000_000L);
        transport.sent.get(PeerBatcher.IN_FLIGHT + 2).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        assertThat(late.join().bodyText()).as("answered in time").isEqualTo(PeerProtocol.VOTE_YES);
        clock.timers.get(clock.timers.size() - 2).run(); // 100 ms after "waits" was handed over
        assertThatThrownBy(() -> Futures.join(waits)).isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("within 100 ms");
        transport.sent.get(PeerBatcher.IN_FLIGHT + 1).answer().complete(PeerResponse.ok(PeerProtocol.VOTE_YES));
        assertThat(waits).as("a late answer changes nothing").isCompletedExceptionally();
    }
}
