package io.quarkiverse.level2pc.runtime;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ClusterError;
import io.quarkiverse.level2pc.PeerConnected;
import io.quarkiverse.level2pc.PeerDisconnected;
import io.quarkiverse.level2pc.PeerFailed;
import io.quarkiverse.level2pc.PeerRefusedException;
import io.quarkiverse.level2pc.PeerReconnecting;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * Watches the peers: a {@code hello} to each one every heartbeat (with exponential back-off while it
 * does not answer), the state of each peer, the lifecycle events, and whether enough peers answer
 * for {@code min-consensus} ("quorate"). A peer that reports another cluster, another protocol
 * version or this node's own name is never counted as connected.
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

    /** A snapshot of one peer for health data and errors. */
    public record PeerStatus(URI uri, State state, String node, int attempts, String lastError) {
    }

    private static final class Peer {
        final URI uri;
        State state = State.CONNECTING;
        String node;
        int attempts;
        String lastError;
        long nextAttemptNanos;
        boolean inFlight;
        /** What the peer said in its last hello: it is current (quorum mode; always true otherwise). */
        boolean current = true;

        Peer(URI uri) {
            this.uri = uri;
        }
    }

    private final Map<URI, Peer> peers = new LinkedHashMap<>();
    private final PeerClient client;
    private final String self;
    private final String cluster;
    private final int required;
    private final long heartbeatNanos;
    private final int failAfter;
    private final Consumer<Object> events;
    private final Runnable onChange;
    private final ScheduledExecutorService scheduler;
    /** One hello in flight per peer, each on its own thread: a peer that hangs does not delay the others. */
    private final java.util.concurrent.ExecutorService hellos = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "level-2pc-peer-hello");
        t.setDaemon(true);
        return t;
    });
    private volatile HelloListener helloListener = (peer, sentNanos, askedLease, hello) -> {
    };
    private volatile java.util.function.BooleanSupplier askLease = () -> false;

    /** Told of every answered hello, with the time it was sent and whether it asked for a lease (read leases, clocks). */
    @FunctionalInterface
    public interface HelloListener {
        void answered(URI peer, long sentNanos, boolean askedLease, PeerClient.Hello hello);
    }

    /** Quorum mode: {@code askLease} says whether hellos ask for read leases now; {@code listener} hears every answer. */
    public void quorumMode(java.util.function.BooleanSupplier askLease, HelloListener listener) {
        this.askLease = askLease;
        this.helloListener = listener;
    }

    public PeerMonitor(List<URI> peerUris, PeerClient client, String self, String cluster, int required,
            java.time.Duration heartbeat, int failAfter, Consumer<Object> events, Runnable onChange) {
        for (URI u : peerUris) {
            peers.put(u, new Peer(u));
        }
        this.client = client;
        this.self = self;
        this.cluster = cluster;
        this.required = required;
        this.heartbeatNanos = heartbeat.toNanos();
        this.failAfter = failAfter;
        this.events = events;
        this.onChange = onChange;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "level-2pc-peer-monitor");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        scheduler.scheduleWithFixedDelay(this::tick, 0, Math.max(1, heartbeatNanos / 4), TimeUnit.NANOSECONDS);
    }

    /** One round: starts a hello to every peer whose next attempt is due. Runs on the monitor thread. */
    void tick() {
        long now = System.nanoTime();
        List<Peer> due = new ArrayList<>();
        synchronized (this) {
            for (Peer p : peers.values()) {
                if (now - p.nextAttemptNanos >= 0 && !p.inFlight) {
                    p.inFlight = true;
                    due.add(p);
                }
            }
        }
        for (Peer p : due) {
            try {
                hellos.execute(() -> hello(p));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return; // closing
            }
        }
        onTick.run();
    }

    private void hello(Peer p) {
        try {
            boolean ask = askLease.getAsBoolean();
            long sent = System.nanoTime();
            PeerClient.Hello h = client.hello(p.uri, ask);
            String refusal = refusal(h);
            if (refusal != null) {
                refused(p, refusal);
            } else {
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
            }
        } catch (PeerRefusedException e) {
            refused(p, "refuses this node: " + e.getMessage());
        } catch (RuntimeException e) {
            failed(p, String.valueOf(e.getMessage()));
        } finally {
            synchronized (this) {
                p.inFlight = false;
            }
        }
    }

    private volatile Runnable onTick = () -> {
    };

    /** Runs after every round (quorum mode: leases and promises run out with time, not with events). */
    public void onTick(Runnable r) {
        this.onTick = r;
    }

    /**
     * The node names of the peers a write can be committed on, by base URI: connected and, by their last
     * hello, current (quorum mode: a peer catching up takes no part in writes).
     */
    public synchronized Map<URI, String> usablePeers() {
        Map<URI, String> result = new LinkedHashMap<>();
        for (Peer p : peers.values()) {
            if (p.state == State.CONNECTED && p.node != null && p.current) {
                result.put(p.uri, p.node);
            }
        }
        return result;
    }

    private String refusal(PeerClient.Hello h) {
        if (h.protocol() != PeerProtocol.VERSION) {
            return "speaks peer protocol " + h.protocol() + ", this node " + PeerProtocol.VERSION;
        }
        if (!cluster.equals(h.cluster())) {
            return "belongs to cluster '" + h.cluster() + "', this node to '" + cluster + "' (quarkus.level-2pc.cluster-name)";
        }
        if (self.equals(h.node())) {
            return "has this node's own name '" + self + "': node names must be unique (quarkus.level-2pc.node-name)";
        }
        return null;
    }

    private void connected(Peer p, String node) {
        boolean changed;
        synchronized (this) {
            changed = p.state != State.CONNECTED;
            p.state = State.CONNECTED;
            p.node = node;
            p.attempts = 0;
            p.lastError = null;
            p.nextAttemptNanos = System.nanoTime() + heartbeatNanos;
        }
        if (changed) {
            LOG.infof("Peer %s (node '%s') connected", p.uri, node);
            events.accept(new PeerConnected(p.uri.toString(), node));
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
            p.nextAttemptNanos = System.nanoTime() + 8 * heartbeatNanos;
            if (wasConnected) {
                changed = true;
            }
        }
        if (changed) {
            LOG.errorf("Peer %s refused: it %s", p.uri, why);
            events.accept(new ClusterError(p.uri.toString(), "peer " + p.uri + " " + why));
            onChange.run();
        }
    }

    /** A call to the peer failed (heartbeat, or a transaction's call reported by {@link #reportFailure}). */
    private void failed(Peer p, String why) {
        Object event1 = null;
        Object event2 = null;
        synchronized (this) {
            if (p.state == State.CONNECTED) {
                p.state = State.DISCONNECTED;
                p.attempts = 0;
                event1 = new PeerDisconnected(p.uri.toString(), why);
            } else {
                p.attempts++;
                if (p.state != State.FAILED) {
                    p.state = State.RECONNECTING;
                    event1 = new PeerReconnecting(p.uri.toString(), p.attempts);
                }
                if (p.attempts == failAfter) {
                    p.state = State.FAILED;
                    event2 = new PeerFailed(p.uri.toString(), p.attempts, why);
                }
            }
            p.lastError = why;
            long backoff = heartbeatNanos << Math.min(p.attempts, 3);
            p.nextAttemptNanos = System.nanoTime() + (p.state == State.DISCONNECTED ? 0 : backoff);
        }
        if (event1 instanceof PeerDisconnected) {
            LOG.warnf("Peer %s disconnected: %s", p.uri, why);
        } else if (event2 != null) {
            LOG.errorf("Peer %s failed after %d attempts: %s", p.uri, failAfter, why);
        }
        if (event1 != null) {
            events.accept(event1);
        }
        if (event2 != null) {
            events.accept(event2);
        }
        onChange.run();
    }

    /** A transaction could not reach {@code peer}: mark it disconnected now rather than at the next heartbeat. */
    public void reportFailure(URI peer, String why) {
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

    @Override
    public void close() {
        scheduler.shutdownNow();
        hellos.shutdownNow();
    }
}
