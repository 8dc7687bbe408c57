package io.quarkiverse.level2pc.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;

import javax.net.ssl.SSLContext;

import io.quarkiverse.level2pc.PeerUnavailableException;

/**
 * A {@link PeerTransport} without Vert.x: HTTP/1.1 with keep-alive through the JDK's {@link HttpClient}
 * (one client per node, connections reused across requests), every request signed by
 * {@link PeerAuth}. HTTPS peers use the {@link SSLContext} of the configured Quarkus TLS
 * configuration.
 */
public final class RestPeerTransport implements PeerTransport {

    private final HttpClient http;
    private final PeerAuth auth;
    private final Duration timeout;
    private final String cluster;

    public RestPeerTransport(PeerAuth auth, String cluster, Duration connectTimeout, Duration requestTimeout, SSLContext ssl) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                // The client's internal steps run on its selector thread instead of being handed to a pool
                // thread each time: callers block in send() anyway, and a peer answer is a few bytes.
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
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return VertxPeerTransport.authentic(auth, peer, request.operation(), signed.get(PeerProtocol.HEADER_NONCE),
                    new PeerResponse(r.statusCode(), r.body()), r.headers().firstValue(PeerProtocol.HEADER_RESPONSE_SIGNATURE).orElse(null));
        } catch (HttpTimeoutException e) {
            throw new PeerUnavailableException("peer " + peer + " did not answer " + request.operation() + " within " + timeout, e);
        } catch (ConnectException e) {
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): connection refused", e);
        } catch (IOException e) {
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): "
                    + FailureText.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted while calling peer " + peer, e);
        }
    }
}
