package io.quarkiverse.level2pc.node;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Coordinator;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * The second phase of the transactions a {@link TxCoordinator} decided to commit: sends each peer its commit, shrinks
 * the kept decision as the peers acknowledge (deleting it once none is left), and sends again what stays
 * unacknowledged (a peer was down, or this node restarted). Shares the coordinator's {@link Coordinator} and its lock.
 */
final class CommitSender {

    private static final Logger LOG = Logger.getLogger(CommitSender.class);

    private final String nodeName;
    private final Coordinator core;
    private final PeerLink link;
    private final Scheduler scheduler;
    private final NodeStore store;
    private final BiConsumer<String, String> onUnreachable;
    private final Supplier<Tracing> tracing;
    /** When each kept decision became durable (scheduler nanos; the open time for decisions found at startup). */
    private final Map<Bytes, Long> decidedAt = new ConcurrentHashMap<>();

    CommitSender(String nodeName, Coordinator core, PeerLink link, Scheduler scheduler, NodeStore store,
            BiConsumer<String, String> onUnreachable, Supplier<Tracing> tracing) {
        this.nodeName = nodeName;
        this.core = core;
        this.link = link;
        this.scheduler = scheduler;
        this.store = store;
        this.onUnreachable = onUnreachable;
        this.tracing = tracing;
    }

    /** The decisions found in the store at startup: they count as decided now. */
    void restored(List<Decision> found) {
        long now = scheduler.nanoTime();
        found.forEach(d -> decidedAt.put(d.gtrid(), now));
    }

    /** A decision with peers to commit just became durable. */
    void decided(Bytes gtrid) {
        decidedAt.put(gtrid, scheduler.nanoTime());
    }

    /** Sends the commits of a durable decision; {@code allDone}, if given, completes once every peer acknowledged. */
    void send(BranchId id, Collection<String> peers, CompletableFuture<Void> allDone, Tracing.Span span) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (String p : peers) {
            acks.add(sendOne(id, p, false, span));
        }
        if (allDone != null) {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> allDone.complete(null));
        }
    }

    /** Sends again the commits of every decision kept for at least {@code ageNanos}. */
    void resend(long ageNanos) {
        List<Decision> pending;
        synchronized (core) {
            pending = core.decisions();
        }
        long now = scheduler.nanoTime();
        for (Decision d : pending) {
            if (!d.peers().isEmpty() && now - decidedAt.getOrDefault(d.gtrid(), now) >= ageNanos) {
                Tracing.Span span = tracing.get().recovery("resend commit", d.peers().values().iterator().next());
                List<CompletableFuture<?>> sent = new ArrayList<>();
                d.peers().forEach((peer, branch) -> sent.add(sendOne(branch, peer, true, span)));
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> span.end(null));
            }
        }
    }

    private CompletableFuture<Void> sendOne(BranchId id, String peer, boolean resend, Tracing.Span span) {
        return link.commit(peer, id, span).handle((c, failure) -> {
            Throwable cause = failure == null ? null : Futures.unwrap(failure);
            if (cause instanceof PeerLink.HeuristicOutcome h) {
                LOG.errorf("Commit of %s on peer %s: %s", id, peer, h.getMessage());
            } else if (cause != null) {
                if (cause instanceof PeerUnavailableException) {
                    onUnreachable.accept(peer, cause.getMessage());
                }
                LOG.debugf("Commit of %s on peer %s failed (%s); this node sends it again (its decision is kept)", id, peer,
                        cause.getMessage());
                return null;
            }
            acknowledged(id.gtrid(), peer);
            if (resend) {
                LOG.infof("Node '%s' completed the commit of %s on peer %s", nodeName, id, peer);
            }
            return null;
        });
    }

    private void acknowledged(Bytes gtrid, String peer) {
        synchronized (core) {
            Decision rest = core.acknowledged(gtrid, peer);
            if (rest != null && rest.isSettled()) {
                decidedAt.remove(gtrid);
            }
            if (rest != null && store.isOpen()) {
                // Submitted under the coordinator's lock: the store applies the updates of one decision in order.
                store.updateDecision(rest);
            }
        }
    }
}
