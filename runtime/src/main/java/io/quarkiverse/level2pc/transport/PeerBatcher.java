package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.codec.DecodeException;

/**
 * Group commit for the network: the phase messages (prepare, commit, rollback) bound for one peer while
 * earlier ones are still on their way travel together, in one {@code batch} request, and are answered
 * together. A message finding fewer than {@value #MAX_IN_FLIGHT} requests in flight to its peer goes out
 * at once, on its own: a lone transaction still costs one round trip per phase. Under load a peer sees a
 * few requests per millisecond instead of one per transaction and phase, and its participant syncs the
 * prepare records of a whole batch together.
 */
final class PeerBatcher {

    /** Requests in flight to one peer before messages wait to be batched. */
    static final int MAX_IN_FLIGHT = 2;
    /** At most this many messages in one batch. */
    static final int MAX_MESSAGES = 256;
    /** A batch is closed once its bodies reach this many bytes (well below {@code max-message-size}). */
    static final int MAX_BATCH_BYTES = 1 << 20;

    private record Message(String operation, byte[] body, CompletableFuture<PeerResponse> answer) {
    }

    private static final class Queue {
        final URI uri;
        final ArrayDeque<Message> waiting = new ArrayDeque<>();
        int inFlight;

        Queue(String peer) {
            this.uri = URI.create(peer);
        }
    }

    private final PeerTransport transport;
    private final String self;
    private final Executor executor;
    private final Map<String, Queue> queues = new HashMap<>();

    PeerBatcher(PeerTransport transport, String self, Executor executor) {
        this.transport = transport;
        this.self = self;
        this.executor = executor;
    }

    /** Sends one phase message to {@code peer}, alone or in a batch; the future completes with its own answer. */
    CompletableFuture<PeerResponse> send(String peer, String operation, byte[] body) {
        CompletableFuture<PeerResponse> answer = new CompletableFuture<>();
        synchronized (this) {
            queues.computeIfAbsent(peer, Queue::new).waiting.add(new Message(operation, body, answer));
        }
        pump(peer);
        return answer;
    }

    /** Sends what waits for {@code peer} while fewer than {@link #MAX_IN_FLIGHT} requests are on their way. */
    private void pump(String peer) {
        while (true) {
            List<Message> batch = new ArrayList<>();
            Queue q;
            synchronized (this) {
                q = queues.get(peer);
                if (q.inFlight >= MAX_IN_FLIGHT || q.waiting.isEmpty()) {
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
            CompletableFuture<PeerResponse> sent;
            try {
                sent = batch.size() == 1
                        ? transport.sendAsync(q.uri, new PeerRequest(self, batch.get(0).operation(), batch.get(0).body()), executor)
                        : transport.sendAsync(q.uri, new PeerRequest(self, PeerProtocol.BATCH, encode(batch)), executor);
            } catch (RuntimeException e) {
                // e.g. the default sendAsync's executor refusing the call: the request failed, its slot is freed below
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((r, failure) -> {
                synchronized (this) {
                    q.inFlight--;
                }
                deliver(batch, r, failure);
                pump(peer);
            });
        }
    }

    private static byte[] encode(List<Message> batch) {
        List<byte[]> frames = new ArrayList<>(batch.size());
        for (Message m : batch) {
            byte[] f = new byte[m.body().length + 1];
            f[0] = opByte(m.operation());
            System.arraycopy(m.body(), 0, f, 1, m.body().length);
            frames.add(f);
        }
        return Codec.encodeFrames(frames);
    }

    /** Hands each message its answer: its own frame of a batch answer, or the request's failure. */
    private static void deliver(List<Message> batch, PeerResponse r, Throwable failure) {
        if (failure != null) {
            batch.forEach(m -> m.answer().completeExceptionally(failure));
            return;
        }
        if (batch.size() == 1) {
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

    static byte opByte(String operation) {
        return switch (operation) {
            case PeerProtocol.PREPARE -> PeerProtocol.FRAME_PREPARE;
            case PeerProtocol.COMMIT -> PeerProtocol.FRAME_COMMIT;
            case PeerProtocol.ROLLBACK -> PeerProtocol.FRAME_ROLLBACK;
            default -> throw new IllegalArgumentException("'" + operation + "' is not batched");
        };
    }

    /** The operation of a batch frame's first byte, or {@code null}. */
    static String operationOf(byte op) {
        return switch (op) {
            case PeerProtocol.FRAME_PREPARE -> PeerProtocol.PREPARE;
            case PeerProtocol.FRAME_COMMIT -> PeerProtocol.COMMIT;
            case PeerProtocol.FRAME_ROLLBACK -> PeerProtocol.ROLLBACK;
            default -> null;
        };
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
