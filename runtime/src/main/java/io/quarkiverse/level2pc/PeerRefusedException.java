package io.quarkiverse.level2pc;

/**
 * A peer answered but refused this node: it does not accept its authentication (different
 * {@code quarkus.level-2pc.cluster-secret}), belongs to another cluster or protocol version, or does not count this
 * node among its peers (its {@code quarkus.level-2pc.peers} lists no address that answers with this node's name). Not
 * fixed by retrying: an operator must align the configuration. The peer is not counted as connected
 * meanwhile (a {@link ClusterError} event is fired).
 */
public class PeerRefusedException extends PeerUnavailableException {
    private static final long serialVersionUID = 1L;

    public PeerRefusedException(String message) {
        super(message);
    }

    @Override
    public boolean isRetryable() {
        return false;
    }
}
