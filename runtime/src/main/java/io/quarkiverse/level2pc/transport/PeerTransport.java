package io.quarkiverse.level2pc.transport;

import java.net.URI;

/**
 * How a node reaches its peers. The default is {@link RestPeerTransport} (HTTP, authenticated with the
 * cluster secret). An application replaces it by declaring its own CDI bean implementing this
 * interface (the default one is a {@code @DefaultBean}).
 *
 * <p>
 * Contract: {@link #send} delivers the request to the peer's {@link PeerEndpoint} and returns its
 * response, or throws {@link io.quarkiverse.level2pc.PeerUnavailableException} when the peer cannot be
 * reached or the outcome of the call is unknown. It may be called from many threads at once.
 */
public interface PeerTransport {

    PeerResponse send(URI peer, PeerRequest request);
}
