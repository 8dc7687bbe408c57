package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;
import io.quarkiverse.level2pc.node.Scheduler;

/**
 * Group commit for the network: the phase messages (prepare, commit, rollback) bound for one peer while
 * earlier ones are still on their way travel together, in one {@code batch} request, and are answered
 * together. A message finding fewer than {@value #IN_FLIGHT} requests in flight to its peer goes out at once, on its
 * own: a lone transaction still costs one round trip per phase. Under load a peer sees a few requests per millisecond
 * instead of one per transaction and phase, and its participant syncs the records of a whole batch together.
 *
 * <p>
 * Prepares, commits and rollbacks share one lane per peer, so that a request carries the votes asked for and the
 * outcomes decided since the last one left. A batch is answered once all its messages are, and a prepare may have to
 * wait on the peer for a lock (wait-die: an older transaction waits for a younger holder) whose holder's commit may
 * be queued behind it. So in a batch of several a prepare never waits: the peer answers it 423 "wait alone" and it is
 * sent again on its own, outside the limit of requests in flight, where it may wait. And a request unanswered for
 * {@link #SLOW_REQUEST_NANOS} gives its slot back: a commit waits at most that long behind a lone prepare waiting for
 * a lock. Without these rules waits across batches closed cycles that only {@code lock-wait-timeout} broke
 * (measured: 5 s stalls on 10 accounts at 16 clients).
 */
final class PeerBatcher {

    /**
     * Requests in flight to one peer before messages wait to be batched. Few, so that messages batch under load
     * (measured at 64 clients on 3 nodes: 16 prepare slots, which hardly ever filled, cost 26 % more CPU per write than
     * 2; two lanes of 2, one for prepares and one for commits and rollbacks, 22 % more than this one lane of 2); safe
     * with the "wait alone" rule and the slow-request release above.
     */
    static final int IN_FLIGHT = 2;
    /** At most this many messages in one batch. */
    static final int MAX_MESSAGES = 256;
    /** A batch is closed once its bodies reach this many bytes (well below {@code max-message-size}). */
    static final int MAX_BATCH_BYTES = 1 << 20;

    /**
     * A request unanswered this long stops holding one of its peer's slots: it may be a prepare waiting on the peer for
     * a lock, and later messages then go out without waiting for it. So a request held up by a lock wait delays the
     * others by at most this long, and no cycle of such waits (a commit queued behind a prepare that waits for a lock
     * whose holder waits for that commit ...) can outlive it.
     */
    static final long SLOW_REQUEST_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** One request's hold on a slot of its peer, given back once: on its answer or when it turned slow. */
    private static final class Slot {
        boolean freed;
    }

    /** @param traceparent the W3C trace context the message carries, or {@code null} */
    /** @param queuedNanos when it was handed over (the scheduler's clock; 0 without a scheduler) */
    private record Message(String operation, byte[] body, String traceparent, CompletableFuture<PeerResponse> answer,
            long queuedNanos) {
    }

    private static final class Queue {
        final URI uri;
        final String peer;
        final ArrayDeque<Message> waiting = new ArrayDeque<>();
        int inFlight;

        Queue(String peer) {
            this.peer = peer;
            this.uri = URI.create(peer);
        }
    }

    private final PeerTransport transport;
    private final String self;
    private final Executor executor;
    private final Map<String, Queue> queues = new HashMap<>();
    /** A peer's node name (the requests' recipient), {@code null} if not known yet. */
    private final Function<String, String> names;
    /**
     * Frees the slots of slow requests ({@link #SLOW_REQUEST_NANOS}) and bounds a prepare sent again alone; {@code null}:
     * a slot is freed by its answer only, and a prepare sent again has its own timeout.
     */
    private final Scheduler scheduler;
    /** A call's timeout, which a prepare sent again alone must not extend (0: none known). */
    private final long callTimeoutNanos;

    PeerBatcher(PeerTransport transport, String self, Executor executor) {
        this(transport, self, executor, peer -> null, null, Duration.ZERO);
    }

    PeerBatcher(PeerTransport transport, String self, Executor executor, Function<String, String> names, Scheduler scheduler,
            Duration callTimeout) {
        this.transport = transport;
        this.self = self;
        this.executor = executor;
        this.names = names;
        this.scheduler = scheduler;
        this.callTimeoutNanos = callTimeout.toNanos();
    }

    /** Sends one untraced phase message to {@code peer}, alone or in a batch; the future completes with its own answer. */
    CompletableFuture<PeerResponse> send(String peer, String operation, byte[] body) {
        return send(peer, operation, body, null);
    }

    /**
     * Sends one phase message to {@code peer}, alone or in a batch; the future completes with its own answer. A message
     * with a {@code traceparent} (a W3C trace context, or {@code null}) always travels in a batch frame, alone if need
     * be, so that its trace context is signed with the body and carried by any transport.
     */
    CompletableFuture<PeerResponse> send(String peer, String operation, byte[] body, String traceparent) {
        CompletableFuture<PeerResponse> answer = new CompletableFuture<>();
        synchronized (this) {
            queues.computeIfAbsent(peer, Queue::new).waiting
                    .add(new Message(operation, body, validTraceparent(traceparent) ? traceparent : null, answer,
                            scheduler == null ? 0 : scheduler.nanoTime()));
        }
        pump(peer);
        return answer;
    }

    /** Sends what waits for {@code peer} while fewer than {@value #IN_FLIGHT} requests are on their way. */
    private void pump(String peer) {
        while (true) {
            List<Message> batch = new ArrayList<>();
            Queue q;
            synchronized (this) {
                q = queues.get(peer);
                if (q.inFlight >= IN_FLIGHT || q.waiting.isEmpty()) {
                    return;
                }
                int bytes = 0;
                while (!q.waiting.isEmpty() && batch.size() < MAX_MESSAGES && (batch.isEmpty() || bytes < MAX_BATCH_BYTES)) {
                    Message m = q.waiting.poll();
                    bytes += m.body().length;
                    batch.add(m);
                }
                q.inFlight++;
            }
            Slot slot = new Slot();
            String recipient = names.apply(q.peer);
            CompletableFuture<PeerResponse> sent;
            boolean framed = batch.size() > 1 || batch.get(0).traceparent() != null;
            try {
                sent = !framed
                        ? transport.sendAsync(q.uri, new PeerRequest(self, batch.get(0).operation(), batch.get(0).body(), recipient),
                                executor)
                        : transport.sendAsync(q.uri, new PeerRequest(self, PeerProtocol.BATCH, encode(batch), recipient), executor);
            } catch (RuntimeException e) {
                // e.g. the default sendAsync's executor refusing the call: the request failed, its slot is freed below
                sent = CompletableFuture.failedFuture(e);
            }
            Scheduler.Cancellable slow = scheduler == null || sent.isDone() ? null
                    : scheduler.schedule(SLOW_REQUEST_NANOS, () -> {
                        if (free(q, slot)) {
                            pump(peer);
                        }
                    });
            sent.whenComplete((r, failure) -> {
                if (slow != null) {
                    slow.cancel();
                }
                free(q, slot);
                deliver(q, batch, framed, r, failure);
                pump(peer);
            });
        }
    }

    /** Gives {@code slot} back to its peer's queue, once; whether it was still held. */
    private synchronized boolean free(Queue q, Slot slot) {
        if (slot.freed) {
            return false;
        }
        slot.freed = true;
        q.inFlight--;
        return true;
    }

    private static byte[] encode(List<Message> batch) {
        List<byte[]> frames = new ArrayList<>(batch.size());
        for (Message m : batch) {
            int head = m.traceparent() == null ? 1 : 1 + PeerProtocol.TRACEPARENT_LENGTH;
            byte[] f = new byte[m.body().length + head];
            f[0] = opByte(m.operation(), m.traceparent() != null);
            if (m.traceparent() != null) {
                System.arraycopy(m.traceparent().getBytes(StandardCharsets.US_ASCII), 0, f, 1, PeerProtocol.TRACEPARENT_LENGTH);
            }
            System.arraycopy(m.body(), 0, f, head, m.body().length);
            frames.add(f);
        }
        return Codec.encodeFrames(frames);
    }

    /**
     * Hands each message its answer: its own frame of a batch answer, or the request's failure. A prepare of a batch
     * of several that the peer answered "wait alone" (it would have waited there for a lock) is sent again on its own,
     * outside the limit of requests in flight: it may wait as long as it needs without holding anything else up.
     */
    private void deliver(Queue q, List<Message> batch, boolean framed, PeerResponse r, Throwable failure) {
        if (failure != null) {
            batch.forEach(m -> m.answer().completeExceptionally(failure));
            return;
        }
        if (!framed) {
            batch.get(0).answer().complete(r);
            return;
        }
        if (r.status() != 200) {
            batch.forEach(m -> m.answer().complete(r)); // the batch as a whole was refused (authentication, size, ...)
            return;
        }
        List<byte[]> frames;
        try {
            frames = Codec.decodeFrames(r.body(), batch.size());
            if (frames.size() != batch.size()) {
                throw new DecodeException(frames.size() + " answers to " + batch.size() + " messages");
            }
        } catch (DecodeException e) {
            batch.forEach(m -> m.answer().completeExceptionally(
                    new PeerUnavailableException("a peer answered a batch with something unreadable: "
                            + e.getMessage(), e)));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            byte[] f = frames.get(i);
            int status = f.length < 2 ? 500 : ((f[0] & 0xFF) << 8) | (f[1] & 0xFF);
            if (status == PeerProtocol.WAIT_ALONE && batch.size() > 1) {
                sendAlone(q, batch.get(i));
            } else {
                batch.get(i).answer().complete(new PeerResponse(status, f.length < 2 ? new byte[0] : Arrays.copyOfRange(f, 2, f.length)));
            }
        }
    }

    /**
     * Sends {@code m} in a request of its own, outside the limit of requests in flight (a traced one as a batch of one frame). Its
     * answer still comes within the call timeout counted from when {@code m} was handed over, as any call's does
     * (quorum mode relies on that bound, see {@code ConfigValidator.peerCallTimeout}): else it fails as unanswered.
     */
    private void sendAlone(Queue q, Message m) {
        Scheduler.Cancellable deadline = null;
        if (scheduler != null && callTimeoutNanos > 0) {
            long left = m.queuedNanos() + callTimeoutNanos - scheduler.nanoTime();
            PeerUnavailableException late = new PeerUnavailableException("peer " + q.peer + " did not answer a prepare within "
                    + Duration.ofNanos(callTimeoutNanos).toMillis() + " ms (its call timeout); its outcome there is unknown");
            if (left <= 0) {
                m.answer().completeExceptionally(late);
                return;
            }
            deadline = scheduler.schedule(left, () -> m.answer().completeExceptionally(late));
        }
        Scheduler.Cancellable bound = deadline;
        String recipient = names.apply(q.peer);
        try {
            PeerRequest request = m.traceparent() == null ? new PeerRequest(self, m.operation(), m.body(), recipient)
                    : new PeerRequest(self, PeerProtocol.BATCH, encode(List.of(m)), recipient);
            transport.sendAsync(q.uri, request, executor).whenComplete((r, failure) -> {
                if (bound != null) {
                    bound.cancel();
                }
                deliver(q, List.of(m), m.traceparent() != null, r, failure);
            });
        } catch (RuntimeException e) {
            m.answer().completeExceptionally(e);
        }
    }

    static byte opByte(String operation, boolean traced) {
        return switch (operation) {
            case PeerProtocol.PREPARE -> traced ? PeerProtocol.FRAME_TRACED_PREPARE : PeerProtocol.FRAME_PREPARE;
            case PeerProtocol.COMMIT -> traced ? PeerProtocol.FRAME_TRACED_COMMIT : PeerProtocol.FRAME_COMMIT;
            case PeerProtocol.ROLLBACK -> traced ? PeerProtocol.FRAME_TRACED_ROLLBACK : PeerProtocol.FRAME_ROLLBACK;
            default -> throw new IllegalArgumentException("'" + operation + "' is not batched");
        };
    }

    /** The operation of a batch frame's first byte, or {@code null}. */
    static String operationOf(byte op) {
        return switch (op) {
            case PeerProtocol.FRAME_PREPARE, PeerProtocol.FRAME_TRACED_PREPARE -> PeerProtocol.PREPARE;
            case PeerProtocol.FRAME_COMMIT, PeerProtocol.FRAME_TRACED_COMMIT -> PeerProtocol.COMMIT;
            case PeerProtocol.FRAME_ROLLBACK, PeerProtocol.FRAME_TRACED_ROLLBACK -> PeerProtocol.ROLLBACK;
            default -> null;
        };
    }

    /** Whether a frame's first byte says that a {@code traceparent} follows it. */
    static boolean isTraced(byte op) {
        return op == PeerProtocol.FRAME_TRACED_PREPARE || op == PeerProtocol.FRAME_TRACED_COMMIT
                || op == PeerProtocol.FRAME_TRACED_ROLLBACK;
    }

    /** Whether {@code t} is a W3C {@code traceparent} of version 00 (lower-case hex, ids not all zero). */
    static boolean validTraceparent(String t) {
        if (t == null || t.length() != PeerProtocol.TRACEPARENT_LENGTH || !t.startsWith("00-") || t.charAt(35) != '-'
                || t.charAt(52) != '-') {
            return false;
        }
        boolean traceNonZero = false;
        boolean spanNonZero = false;
        for (int i = 3; i < t.length(); i++) {
            char c = t.charAt(i);
            if (i == 35 || i == 52) {
                continue;
            }
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
            traceNonZero |= i < 35 && c != '0';
            spanNonZero |= i > 35 && i < 52 && c != '0';
        }
        return traceNonZero && spanNonZero;
    }

    /** A batch answer frame: {@code status (u16) body}. */
    static byte[] answerFrame(PeerResponse r) {
        byte[] f = new byte[r.body().length + 2];
        f[0] = (byte) (r.status() >>> 8);
        f[1] = (byte) r.status();
        System.arraycopy(r.body(), 0, f, 2, r.body().length);
        return f;
    }
}
