package io.quarkiverse.level2pc.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

import javax.net.ssl.SSLContext;

import io.quarkiverse.level2pc.PeerUnavailableException;

/**
 * A {@link PeerTransport} without Vert.x: HTTP/1.1 with keep-alive through the JDK's {@link HttpClient}
 * (one client per node, connections reused across requests), every request signed by
 * {@link PeerAuth}. HTTPS peers use the {@link SSLContext} of the configured Quarkus TLS
 * configuration. An answer larger than {@code max-message-size} fails the call unread (see {@link AnswerLimit}).
 */
public final class RestPeerTransport implements PeerTransport {

    private final HttpClient http;
    private final PeerAuth auth;
    private final Duration timeout;
    private final String cluster;
    private final long maxAnswerBytes;

    /** A transport whose answers may be as large as the default {@code max-message-size} (10 MiB). */
    public RestPeerTransport(PeerAuth auth, String cluster, Duration connectTimeout, Duration requestTimeout, SSLContext ssl) {
        this(auth, cluster, connectTimeout, requestTimeout, ssl, AnswerLimit.DEFAULT_BYTES);
    }

    /**
     * @param maxAnswerBytes the largest answer body taken ({@code quarkus.level-2pc.max-message-size}); a larger
     *        one fails the call
     */
    public RestPeerTransport(PeerAuth auth, String cluster, Duration connectTimeout, Duration requestTimeout, SSLContext ssl,
            long maxAnswerBytes) {
        this.maxAnswerBytes = AnswerLimit.checked(maxAnswerBytes);
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                // The client's internal steps run on its selector thread instead of being handed to a pool
                // thread each time: callers block in send() anyway, and most peer answers are a few bytes.
                .executor(Runnable::run);
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
        this.auth = auth;
        this.timeout = requestTimeout;
        this.cluster = cluster;
    }

    @Override
    public PeerResponse send(URI peer, PeerRequest request) {
        String path = PeerProtocol.PATH_PREFIX + request.operation();
        URI uri = peer.resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/octet-stream")
                .header(PeerProtocol.HEADER_CLUSTER, cluster)
                .header(PeerProtocol.HEADER_PROTOCOL, Integer.toString(PeerProtocol.VERSION))
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.body()));
        Map<String, String> signed = auth.sign("POST", path, request.sender(), request.recipient(), request.body());
        for (Map.Entry<String, String> h : signed.entrySet()) {
            b.header(h.getKey(), h.getValue());
        }
        try {
            HttpResponse<byte[]> r = http.send(b.build(), info -> new BoundedBody(peer, request.operation(), maxAnswerBytes,
                    AnswerLimit.declared(info.headers().firstValue("Content-Length").orElse(null))));
            return VertxPeerTransport.authentic(auth, peer, request.operation(), signed.get(PeerProtocol.HEADER_NONCE),
                    new PeerResponse(r.statusCode(), r.body()), r.headers().firstValue(PeerProtocol.HEADER_RESPONSE_SIGNATURE).orElse(null));
        } catch (HttpTimeoutException e) {
            throw new PeerUnavailableException("peer " + peer + " did not answer " + request.operation() + " within " + timeout, e);
        } catch (ConnectException e) {
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): connection refused", e);
        } catch (IOException e) {
            for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
                if (t instanceof PeerUnavailableException p) {
                    throw p; // the answer was too large (the client wraps its body's failure)
                }
            }
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): "
                    + FailureText.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted while calling peer " + peer, e);
        }
    }

    /**
     * An answer body of at most {@code limit} bytes. A larger one is refused before it is read when its length
     * is declared, else as soon as the bytes received pass the bound; either way the subscription is cancelled,
     * which makes the client close the connection instead of reading the rest.
     */
    static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final URI peer;
        private final String operation;
        private final long limit;
        private final long declared;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final List<ByteBuffer> received = new ArrayList<>();
        private long size;
        private Flow.Subscription subscription;

        BoundedBody(URI peer, String operation, long limit, long declared) {
            this.peer = peer;
            this.operation = operation;
            this.limit = limit;
            this.declared = declared;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > limit) {
                s.cancel();
                body.completeExceptionally(AnswerLimit.tooLarge(peer, operation, declared, false, limit));
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                size += b.remaining();
            }
            if (size > limit) {
                subscription.cancel();
                body.completeExceptionally(AnswerLimit.tooLarge(peer, operation, size, true, limit));
                return;
            }
            received.addAll(items);
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            byte[] all = new byte[(int) size];
            int at = 0;
            for (ByteBuffer b : received) {
                int n = b.remaining();
                b.get(all, at, n);
                at += n;
            }
            body.complete(all);
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }
    }
}
