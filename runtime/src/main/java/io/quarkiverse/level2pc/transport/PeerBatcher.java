package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;

/**
 * Group commit for the network: the phase messages (prepare, commit, rollback) bound for one peer while
 * earlier ones are still on their way travel together, in one {@code batch} request, and are answered
 * together. A message finding fewer than {@value #PREPARES_IN_FLIGHT} prepares (or {@value #OUTCOMES_IN_FLIGHT}
 * commits and rollbacks) in flight to its peer goes out at once, on its own: a lone transaction still costs one round trip per phase. Under load a peer sees a
 * few requests per millisecond instead of one per transaction and phase, and its participant syncs the
 * prepare records of a whole batch together.
 *
 * <p>
 * Prepares and second-phase messages (commit, rollback) travel in separate lanes, each with its own
 * requests in flight: a batch is answered once all its messages are, and a prepare may wait on the peer
 * for a lock (wait-die: an older transaction waits for a younger holder). Batched together, the commits
 * that release those very locks queued behind the waiting prepares, and a hot key convoyed its
 * transactions into {@code lock-wait-timeout}.
 */
final class PeerBatcher {

    /**
     * Prepare requests in flight to one peer before prepares wait to be batched. Generous, because a prepare
     * may wait on the peer for a lock and its batch with it: with few slots, prepares of younger transactions
     * (which never wait) queued behind older ones that did, on two peers crosswise, and a hot spot stalled
     * until {@code lock-wait-timeout} (measured: 5 s stalls on 10 accounts at 16 clients).
     */
    static final int PREPARES_IN_FLIGHT = 16;
    /** Commit and rollback requests in flight to one peer before they wait to be batched (they never wait long). */
    static final int OUTCOMES_IN_FLIGHT = 2;
    /** At most this many messages in one batch. */
    static final int MAX_MESSAGES = 256;
    /** A batch is closed once its bodies reach this many bytes (well below {@code max-message-size}). */
    static final int MAX_BATCH_BYTES = 1 << 20;

    /** @param traceparent the W3C trace context the message carries, or {@code null} */
    private record Message(String operation, byte[] body, String traceparent, CompletableFuture<PeerResponse> answer) {
    }

    private static final class Queue {
        final URI uri;
        final int maxInFlight;
        final String peer;
        final ArrayDeque<Message> waiting = new ArrayDeque<>();
        int inFlight;

        Queue(String peer, int maxInFlight) {
            this.peer = peer;
            this.uri = URI.create(peer);
            this.maxInFlight = maxInFlight;
        }
    }

    private final PeerTransport transport;
    private final String self;
    private final Executor executor;
    private final Map<String, Queue> queues = new HashMap<>();
    /** A peer's node name (the requests' recipient), {@code null} if not known yet. */
    private final Function<String, String> names;

    PeerBatcher(PeerTransport transport, String self, Executor executor) {
        this(transport, self, executor, peer -> null);
    }

    PeerBatcher(PeerTransport transport, String self, Executor executor, Function<String, String> names) {
        this.transport = transport;
        this.self = self;
        this.executor = executor;
        this.names = names;
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
        boolean prepare = PeerProtocol.PREPARE.equals(operation);
        String lane = (prepare ? "p " : "o ") + peer;
        synchronized (this) {
            queues.computeIfAbsent(lane, l -> new Queue(peer, prepare ? PREPARES_IN_FLIGHT : OUTCOMES_IN_FLIGHT)).waiting
                    .add(new Message(operation, body, validTraceparent(traceparent) ? traceparent : null, answer));
        }
        pump(lane);
        return answer;
    }

    /** Sends what waits in {@code lane} while fewer than its limit of requests are on their way. */
    private void pump(String lane) {
        while (true) {
            List<Message> batch = new ArrayList<>();
            Queue q;
            synchronized (this) {
                q = queues.get(lane);
                if (q.inFlight >= q.maxInFlight || q.waiting.isEmpty()) {
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
            sent.whenComplete((r, failure) -> {
                synchronized (this) {
                    q.inFlight--;
                }
                deliver(batch, framed, r, failure);
                pump(lane);
            });
        }
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

    /** Hands each message its answer: its own frame of a batch answer, or the request's failure. */
    private static void deliver(List<Message> batch, boolean framed, PeerResponse r, Throwable failure) {
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
            batch.get(i).answer().complete(new PeerResponse(status, f.length < 2 ? new byte[0] : Arrays.copyOfRange(f, 2, f.length)));
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
