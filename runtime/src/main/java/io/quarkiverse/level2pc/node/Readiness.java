package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ClusterNotReady;
import io.quarkiverse.level2pc.ClusterReady;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.QuorumLease;

/**
 * Whether the node may coordinate writes and serve reads now, the lifecycle events when that changes
 * ({@link ClusterReady}, {@link ClusterNotReady}), and who takes part in a write. A node is ready when its
 * store is open and takes writes, enough peers answer for {@code min-consensus}, and in quorum mode it holds
 * its read lease, is current, and no promise to a departed node is still running.
 */
public final class Readiness {

    private static final Logger LOG = Logger.getLogger(Readiness.class);
    /** How often a waiting read or write looks again (leases change with time, not with events). */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LocalNode local;
    private final List<String> peers;
    private final PeerMonitor monitor;
    private final QuorumMode quorum;
    private final Scheduler scheduler;
    private final Duration readyTimeout;
    private final Duration promiseBound;
    private final Consumer<Object> events;
    private final Object lock = new Object();
    private boolean ready;

    /**
     * @param monitor {@code null} for a single node
     * @param quorum {@code null} unless in quorum mode
     * @param readLease and {@code heartbeat}: in quorum mode a write waits at least {@code 2 x read-lease + heartbeat}
     *        (the promises to a peer just gone run out by then) before failing
     */
    public Readiness(LocalNode local, List<String> peers, PeerMonitor monitor, QuorumMode quorum, Scheduler scheduler,
            Duration readyTimeout, Duration readLease, Duration heartbeat, Consumer<Object> events) {
        this.local = local;
        this.peers = List.copyOf(peers);
        this.monitor = monitor;
        this.quorum = quorum;
        this.scheduler = scheduler;
        this.readyTimeout = readyTimeout;
        this.promiseBound = readLease.multipliedBy(2).plus(heartbeat);
        this.events = events;
    }

    /** Recomputes readiness and fires ClusterReady / ClusterNotReady on a change. */
    public void changed() {
        Object event = null;
        boolean now;
        synchronized (lock) {
            // Evaluated under the lock: hellos to different peers finish on different threads, and a stale
            // evaluation applied after a fresh one would leave the node not ready with nothing left to fix it.
            String why = notWritableBecause();
            now = why == null;
            if (now != ready) {
                ready = now;
                event = now ? new ClusterReady(local.nodeName(), local.prepared().size()) : new ClusterNotReady(local.nodeName(), why);
            }
        }
        if (event != null) {
            LOG.infof("level-2pc node '%s' is %s", local.nodeName(), now ? "ready" : "not ready: " + ((ClusterNotReady) event).reason());
            events.accept(event);
        }
    }

    /** Marks the node not ready for good (shutting down). */
    public void shutDown() {
        synchronized (lock) {
            ready = false;
        }
        events.accept(new ClusterNotReady(local.nodeName(), "shutting down"));
    }

    /** Whether the node takes writes now. */
    public boolean isReady() {
        synchronized (lock) {
            return ready;
        }
    }

    /** Why the node cannot coordinate a write now, or {@code null} if it can. */
    public String notWritableBecause() {
        if (!local.isOpen()) {
            return "store closed";
        }
        if (local.storeFailure() != null) {
            return "store failed: " + local.storeFailure();
        }
        if (monitor == null) {
            return null;
        }
        if (!monitor.isQuorate()) {
            return "not enough peers connected for min-consensus " + monitor.required() + ": " + monitor.describeMissing();
        }
        if (quorum == null) {
            return null;
        }
        QuorumLease l = quorum.lease();
        if (!l.readable()) {
            return "quorum mode: " + l.describe();
        }
        List<QuorumLease.Promise> promised = l.promisedOutside(participants());
        if (!promised.isEmpty()) {
            return "quorum mode: waiting until the promises to disconnected nodes " + promised
                    + " run out (quarkus.level-2pc.read-lease) before committing without them; " + monitor.describeMissing();
        }
        return null;
    }

    private List<String> participants() {
        List<String> names = new ArrayList<>(monitor.usablePeers().values());
        names.add(local.nodeName());
        Collections.sort(names);
        return names;
    }

    /** How long a write waits for the node to become writable before it fails. */
    public Duration writeBound() {
        return quorum != null && promiseBound.compareTo(readyTimeout) > 0 ? promiseBound : readyTimeout;
    }

    /**
     * Who takes part in a write now; throws a {@link NotReadyException} naming why the node cannot write (the
     * caller retries until {@link #writeBound()}).
     */
    public WriteSet writeSet() {
        String why = notWritableBecause();
        if (why != null) {
            throw new NotReadyException(notWritableMessage());
        }
        if (quorum == null) {
            return WriteSet.everyPeer(peers);
        }
        Map<String, String> usable = monitor.usablePeers();
        List<String> names = participants();
        return new WriteSet(new ArrayList<>(usable.keySet()), names, peers.size() + 1 - names.size());
    }

    private String notWritableMessage() {
        Duration bound = writeBound();
        return "level-2pc node '" + local.nodeName() + "' is not ready for writes after "
                + (bound.equals(readyTimeout) ? "quarkus.level-2pc.ready-timeout (" + readyTimeout + ")"
                        : bound + " (2 x quarkus.level-2pc.read-lease + heartbeat-interval, longer than ready-timeout)")
                + (monitor == null ? "" : ": " + monitor.connectedCount() + " of " + peers.size()
                        + " peers connected, " + monitor.required() + " needed (min-consensus); " + monitor.describeMissing())
                + (quorum == null ? "" : "; " + notWritableBecause())
                + (local.storeFailure() == null ? "" : "; " + local.storeFailure());
    }

    /** Whether the node may serve reads now (in quorum mode: it holds its read lease and is current). */
    public boolean readable() {
        return quorum == null || quorum.lease().readable();
    }

    /**
     * Completes once the node may serve reads, or fails after {@code ready-timeout} with a
     * {@link NotReadyException}: in quorum mode a node that may have missed a commit never answers a read.
     */
    public CompletableFuture<Void> awaitReadable() {
        if (readable()) {
            return CompletableFuture.completedFuture(null);
        }
        return await(this::readable, readyTimeout, () -> "level-2pc node '" + local.nodeName() + "' cannot serve reads after"
                + " quarkus.level-2pc.ready-timeout (" + readyTimeout + "): " + quorum.describe()
                + " (quorum mode: a node reads only while at least min-consensus peers answer its heartbeats,"
                + " quarkus.level-2pc.read-lease; " + monitor.describeMissing() + ")");
    }

    /** Polls {@code condition} on the scheduler until it holds (completes) or {@code bound} passed (fails). */
    private CompletableFuture<Void> await(BooleanSupplier condition, Duration bound, Supplier<String> failure) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        long deadline = scheduler.nanoTime() + bound.toNanos();
        poll(condition, deadline, failure, result);
        return result;
    }

    private void poll(BooleanSupplier condition, long deadline, Supplier<String> failure, CompletableFuture<Void> result) {
        if (condition.getAsBoolean()) {
            result.complete(null);
            return;
        }
        long left = deadline - scheduler.nanoTime();
        if (left <= 0) {
            result.completeExceptionally(new NotReadyException(failure.get()));
            return;
        }
        scheduler.schedule(Math.min(left, POLL_NANOS), () -> poll(condition, deadline, failure, result));
    }
}
