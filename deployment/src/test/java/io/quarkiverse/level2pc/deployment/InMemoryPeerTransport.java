package io.quarkiverse.level2pc.deployment;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.transport.PeerEndpoint;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;

/**
 * A {@link PeerTransport} without a network: each request goes straight to the {@link PeerEndpoint}
 * registered for the peer's URI, without blocking (the endpoint answers asynchronously). Bodies are
 * copied both ways, so caller and handler never share an array and every request and answer goes
 * through the binary codec as it would over the wire. A URI with no endpoint registered (or whose node
 * has no endpoint yet) is unreachable ({@link PeerUnavailableException}).
 *
 * <p>
 * Not a CDI bean (no bean-defining annotation): tests create it themselves.
 */
final class InMemoryPeerTransport implements PeerTransport {

    private final Map<URI, Supplier<PeerEndpoint>> endpoints = new ConcurrentHashMap<>();

    /** Routes requests for {@code peer} to the endpoint {@code endpoint} supplies at call time. */
    InMemoryPeerTransport register(URI peer, Supplier<PeerEndpoint> endpoint) {
        endpoints.put(peer, endpoint);
        return this;
    }

    @Override
    public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
        Supplier<PeerEndpoint> endpoint = endpoints.get(peer);
        PeerEndpoint e = endpoint == null ? null : endpoint.get();
        if (e == null) {
            return CompletableFuture.failedFuture(new PeerUnavailableException("peer " + peer + " is unreachable ("
                    + request.operation() + "): no node at this address in the in-memory network"));
        }
        return e.handle(new PeerRequest(request.sender(), request.operation(), request.body().clone()))
                .thenApply(r -> new PeerResponse(r.status(), r.body().clone()));
    }

    @Override
    public PeerResponse send(URI peer, PeerRequest request) {
        return Futures.join(sendAsync(peer, request, Runnable::run));
    }
}
