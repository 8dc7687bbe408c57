package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * How a node reaches its peers. The default is {@link VertxPeerTransport} (HTTP through the Vert.x
 * client, authenticated with the cluster secret); {@link RestPeerTransport} does the same with the JDK's
 * {@code HttpClient}. An application replaces it by declaring its own CDI bean implementing this
 * interface (the default one is a {@code @DefaultBean}).
 *
 * <p>
 * Contract: {@link #send} delivers the request to the peer's {@link PeerEndpoint} and returns its
 * response, or throws {@link io.quarkiverse.level2pc.PeerUnavailableException} when the peer cannot be
 * reached or the outcome of the call is unknown. It may be called from many threads at once.
 */
public interface PeerTransport {

    PeerResponse send(URI peer, PeerRequest request);

    /**
     * {@link #send} without waiting: the returned future completes with the response, or exceptionally with
     * a {@link io.quarkiverse.level2pc.PeerUnavailableException}. A coordinator sends each phase to all its
     * peers this way. By default {@code send} runs on {@code executor}; a transport that can issue requests
     * without blocking a thread (the default one) overrides it. Callers must not block in callbacks run on
     * the completing thread.
     */
    default CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request,
            Executor executor) {
        return CompletableFuture.supplyAsync(() -> send(peer, request), executor);
    }
}
