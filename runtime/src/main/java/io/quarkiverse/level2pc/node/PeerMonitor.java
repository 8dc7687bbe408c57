package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ClusterError;
import io.quarkiverse.level2pc.PeerConnected;
import io.quarkiverse.level2pc.PeerDisconnected;
import io.quarkiverse.level2pc.PeerFailed;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerReconnecting;

/**
 * Watches the peers: a {@code hello} to each one every heartbeat (with exponential back-off while it
 * does not answer), the state of each peer, the lifecycle events, and whether enough peers answer
 * for {@code min-consensus} ("quorate"). A peer that reports another cluster, another protocol
 * version or this node's own name is never counted as connected.
 * <p>
 * Two connected nodes share their heartbeats (every node in every write; not in quorum mode, whose
 * hellos renew read leases): a node that heard a connected peer's hello within the last heartbeat skips
 * its own hello to it that round, as the peer's hello proved it alive, but says hello itself at least every
 * {@value #OWN_HELLO_EVERY} heartbeats, which proves its own direction. An idle pair then exchanges about
 * one hello per heartbeat instead of two.
 */
public final class PeerMonitor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerMonitor.class);

    public enum State {
        CONNECTING,
        CONNECTED,
        DISCONNECTED,
        RECONNECTING,
        FAILED,
        REFUSED
    }

    /** A snapshot of one peer for health data and errors; {@code uri} is its base address. */
    public record PeerStatus(String uri, State state, String node, int attempts, String lastError) {
    }

    private static final class Peer {
        final String uri;
        State state = State.CONNECTING;
        String node;
        int attempts;
        String lastError;
        long nextAttemptNanos;
        boolean inFlight;
        /** What the peer said in its last hello: it is current (quorum mode; always true otherwise). */
        boolean current = true;
        /** When this node last heard the peer's hello, and last had its own hello answered. */
        long heardNanos;
        long answeredNanos;
        boolean heard;

        Peer(String uri) {
            this.uri = uri;
        }
    }

    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final PeerLink link;
    private final String self;
    private final String cluster;
    private final int protocol;
    private final int required;
    private final long heartbeatNanos;
    private final int failAfter;
    private final Consumer<Object> events;
    private final Runnable onChange;
    private final Scheduler scheduler;
    private volatile boolean closed;
    private volatile HelloListener helloListener = (peer, sentNanos, askedLease, hello) -> {
    };
    private volatile BooleanSupplier askLease = () -> false;
    /** Whether heartbeats are shared with peers that say hello (not in quorum mode). */
    private volatile boolean shareHeartbeats = true;

    /** A node says hello itself at least every this many heartbeats, whatever it hears. */
    static final int OWN_HELLO_EVERY = 4;

    /** Told of every answered hello, with the time it was sent and whether it asked for a lease (read leases, clocks). */
    @FunctionalInterface
    public interface HelloListener {
        void answered(String peer, long sentNanos, boolean askedLease, PeerLink.Hello hello);
    }

    /** Quorum mode: {@code askLease} says whether hellos ask for read leases now; {@code listener} hears every answer. */
    public void quorumMode(BooleanSupplier askLease, HelloListener listener) {
        this.askLease = askLease;
        this.helloListener = listener;
        this.shareHeartbeats = false;
    }

    /**
     * @param protocol the peer protocol version this node speaks (a peer speaking another is refused)
     */
    public PeerMonitor(List<String> peerUris, PeerLink link, String self, String cluster, int protocol, int required,
            Duration heartbeat, int failAfter, Consumer<Object> events, Runnable onChange, Scheduler scheduler) {
        for (String u : peerUris) {
            peers.put(u, new Peer(u));
        }
        this.link = link;
        this.self = self;
        this.cluster = cluster;
        this.protocol = protocol;
        this.required = required;
        this.heartbeatNanos = heartbeat.toNanos();
        this.failAfter = failAfter;
        this.events = events;
        this.onChange = onChange;
        this.scheduler = scheduler;
    }

    /** Starts the rounds: one every quarter heartbeat. */
    public void start() {
        scheduler.execute(this::round);
    }

    private void round() {
        if (closed) {
            return;
        }
        try {
            tick();
        } finally {
            scheduler.schedule(Math.max(1, heartbeatNanos / 4), this::round);
        }
    }

    /** One round: starts a hello to every peer whose next attempt is due. */
    void tick() {
        long now = scheduler.nanoTime();
        List<Peer> due = new ArrayList<>();
        synchronized (this) {
            for (Peer p : peers.values()) {
                if (now - p.nextAttemptNanos >= 0 && !p.inFlight) {
                    if (sharedHeartbeat(p, now)) {
                        p.nextAttemptNanos = now + heartbeatNanos;
                        continue;
                    }
                    p.inFlight = true;
                    due.add(p);
                }
            }
        }
        for (Peer p : due) {
            hello(p);
        }
        onTick.run();
    }

    /** Whether {@code p}'s own hello proved it alive within the last heartbeat, so that this node's may wait. */
    private boolean sharedHeartbeat(Peer p, long now) {
        return shareHeartbeats && p.state == State.CONNECTED && p.heard && now - p.heardNanos < heartbeatNanos
                && now - p.answeredNanos < OWN_HELLO_EVERY * heartbeatNanos;
    }

    /** One hello, without blocking: a peer that hangs does not delay the others. */
    private void hello(Peer p) {
        boolean ask = askLease.getAsBoolean();
        long sent = scheduler.nanoTime();
        link.hello(p.uri, ask).whenComplete((h, failure) -> {
            try {
                if (closed) {
                    return;
                }
                if (failure != null) {
                    Throwable cause = Futures.unwrap(failure);
                    if (cause instanceof PeerRefusedException) {
                        refused(p, "refuses this node: " + cause.getMessage());
                    } else {
                        failed(p, String.valueOf(cause.getMessage()));
                    }
                    return;
                }
                String refusal = refusal(h);
                if (refusal != null) {
                    refused(p, refusal);
                    return;
                }
                helloListener.answered(p.uri, sent, ask, h);
                boolean changed;
                synchronized (this) {
                    changed = p.current != h.current();
                    p.current = h.current();
                }
                connected(p, h.node());
                if (changed) {
                    onChange.run();
                }
            } finally {
                synchronized (this) {
                    p.inFlight = false;
                }
            }
        });
    }

    private volatile Runnable onTick = () -> {
    };

    /** Runs after every round (quorum mode: leases and promises run out with time, not with events). */
    public void onTick(Runnable r) {
        this.onTick = r;
    }

    /**
     * The node names of the peers a write can be committed on, by base address: connected and, by their last
     * hello, current (quorum mode: a peer catching up takes no part in writes).
     */
    public synchronized Map<String, String> usablePeers() {
        Map<String, String> result = new LinkedHashMap<>();
        for (Peer p : peers.values()) {
            if (p.state == State.CONNECTED && p.node != null && p.current) {
                result.put(p.uri, p.node);
            }
        }
        return result;
    }

    private volatile long readLeaseMillis = -1;

    /** Quorum mode: the read lease every peer must share (compared with what each says in its hello). */
    public void expectReadLease(long millis) {
        this.readLeaseMillis = millis;
    }

    private String refusal(PeerLink.Hello h) {
        if (h.protocol() != protocol) {
            return "speaks peer protocol " + h.protocol() + ", this node " + protocol;
        }
        if (h.minConsensus() >= 0 && h.minConsensus() != required) {
            return "runs with quarkus.level-2pc.min-consensus=" + h.minConsensus() + ", this node with " + required
                    + ": every node of a cluster must use the same value";
        }
        long lease = readLeaseMillis;
        if (h.minConsensus() >= 0 && lease != h.readLeaseMillis()) {
            return "runs with quarkus.level-2pc.read-lease=" + describeLease(h.readLeaseMillis()) + ", this node with "
                    + describeLease(lease) + ": every node of a cluster must use the same value";
        }
        if (!cluster.equals(h.cluster())) {
            return "belongs to cluster '" + h.cluster() + "', this node to '" + cluster + "' (quarkus.level-2pc.cluster-name)";
        }
        if (self.equals(h.node())) {
            return "has this node's own name '" + self + "': node names must be unique (quarkus.level-2pc.node-name)";
        }
        return null;
    }

    private static String describeLease(long millis) {
        return millis < 0 ? "(none: not in quorum mode)" : java.time.Duration.ofMillis(millis).toString();
    }

    private void connected(Peer p, String node) {
        boolean changed;
        synchronized (this) {
            changed = p.state != State.CONNECTED;
            p.state = State.CONNECTED;
            p.node = node;
            p.attempts = 0;
            p.lastError = null;
            p.answeredNanos = scheduler.nanoTime();
            p.nextAttemptNanos = p.answeredNanos + heartbeatNanos;
        }
        if (changed) {
            LOG.infof("Peer %s (node '%s') connected", p.uri, node);
            events.accept(new PeerConnected(p.uri, node));
            onChange.run();
        }
    }

    private void refused(Peer p, String why) {
        boolean changed;
        synchronized (this) {
            changed = p.state != State.REFUSED;
            boolean wasConnected = p.state == State.CONNECTED;
            p.state = State.REFUSED;
            p.lastError = why;
            p.nextAttemptNanos = scheduler.nanoTime() + 8 * heartbeatNanos;
            if (wasConnected) {
                changed = true;
            }
        }
        if (changed) {
            LOG.errorf("Peer %s refused: it %s", p.uri, why);
            events.accept(new ClusterError(p.uri, "peer " + p.uri + " " + why));
            onChange.run();
        }
    }

    /** A call to the peer failed (heartbeat, or a transaction's call reported by {@link #reportFailure}). */
    private void failed(Peer p, String why) {
        Object stateEvent = null;
        Object failedEvent = null;
        boolean newReason;
        synchronized (this) {
            newReason = why != null && !why.equals(p.lastError);
            if (p.state == State.CONNECTED) {
                p.state = State.DISCONNECTED;
                p.attempts = 0;
                stateEvent = new PeerDisconnected(p.uri, why);
            } else {
                p.attempts++;
                if (p.state != State.FAILED) {
                    p.state = State.RECONNECTING;
                    stateEvent = new PeerReconnecting(p.uri, p.attempts);
                }
                if (p.attempts == failAfter) {
                    p.state = State.FAILED;
                    failedEvent = new PeerFailed(p.uri, p.attempts, why);
                }
            }
            p.lastError = why;
            long backoff = heartbeatNanos << Math.min(p.attempts, 3);
            p.nextAttemptNanos = scheduler.nanoTime() + (p.state == State.DISCONNECTED ? 0 : backoff);
        }
        if (stateEvent instanceof PeerDisconnected) {
            LOG.warnf("Peer %s disconnected: %s", p.uri, why);
        } else if (failedEvent != null) {
            LOG.errorf("Peer %s failed after %d attempts: %s", p.uri, failAfter, why);
        } else if (newReason) {
            // Once per peer and reason (e.g. a TLS trust failure names its cause and the property to set), not per retry.
            LOG.warnf("Peer %s is unreachable: %s", p.uri, why);
        }
        if (stateEvent != null) {
            events.accept(stateEvent);
        }
        if (failedEvent != null) {
            events.accept(failedEvent);
        }
        onChange.run();
    }

    /** A transaction could not reach {@code peer}: mark it disconnected now rather than at the next heartbeat. */
    public void reportFailure(String peer, String why) {
        Peer p;
        synchronized (this) {
            p = peers.get(peer);
            if (p == null || p.state != State.CONNECTED) {
                return;
            }
        }
        failed(p, why);
    }

    /** Whether at least {@code min-consensus} peers are connected (and current). */
    public synchronized boolean isQuorate() {
        return usablePeers().size() >= required;
    }

    public synchronized int connectedCount() {
        int n = 0;
        for (Peer p : peers.values()) {
            if (p.state == State.CONNECTED) {
                n++;
            }
        }
        return n;
    }

    public int required() {
        return required;
    }

    public synchronized List<PeerStatus> status() {
        List<PeerStatus> result = new ArrayList<>();
        for (Peer p : peers.values()) {
            result.add(new PeerStatus(p.uri, p.state, p.node, p.attempts, p.lastError));
        }
        return result;
    }

    /** A one-line description of the peers that are not connected, for error messages. */
    public synchronized String describeMissing() {
        List<String> parts = new ArrayList<>();
        for (Peer p : peers.values()) {
            if (p.state != State.CONNECTED) {
                parts.add(p.uri + " " + p.state.name().toLowerCase() + (p.lastError == null ? "" : " (" + p.lastError + ")"));
            } else if (!p.current) {
                parts.add(p.uri + " catching up (quorum mode)");
            }
        }
        return String.join("; ", parts);
    }

    /**
     * {@code nodeName} just said hello to this node: if this node is waiting out a back-off before calling
     * it again (it was unreachable), it calls it at the next round instead (a restarted peer is seen at
     * once, not up to 8 heartbeats later). The peer is known by the name it answered this node's last hello with, or,
     * if it never connected, by the name the link learned for its address (a name query at its first hello).
     */
    public void heardFrom(String nodeName) {
        synchronized (this) {
            long now = scheduler.nanoTime();
            for (Peer p : peers.values()) {
                boolean named = nodeName.equals(p.node) || (p.node == null && nodeName.equals(link.nameOf(p.uri)));
                if (named && p.state != State.CONNECTED) {
                    p.nextAttemptNanos = now;
                } else if (named) {
                    p.heard = true; // a connected peer alive now: this node's next hello to it may wait (shared heartbeats)
                    p.heardNanos = now;
                }
            }
        }
    }

    /** The address of the connected peer called {@code nodeName}, or {@code null}. */
    public synchronized String peerNamed(String nodeName) {
        for (Peer p : peers.values()) {
            if (nodeName.equals(p.node)) {
                return p.uri;
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
    }
}
