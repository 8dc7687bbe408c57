package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Resolution;

/**
 * The participant's side of the callback site, and the coordinator's resending of commits. Every
 * {@code recovery-period}: each branch prepared here for longer than {@code in-doubt-after} is resolved by
 * asking its coordinator what it decided (this node's own {@link TxCoordinator} for the branches it
 * coordinated, otherwise the peer of that name), and the commits of this node's decisions that a peer has
 * not acknowledged for that long are sent again. A commit decision is applied, an abort (explicit or
 * presumed: the coordinator has no record of a commit and no longer runs the transaction) rolls the branch
 * back; while nobody can answer, the branch stays prepared and its keys stay locked (see {@link Resolution}).
 *
 * <p>
 * This makes recovery independent of any transaction log scan: a participant that was down during the
 * second phase, or whose coordinator crashed, completes its branches as soon as the coordinator answers.
 */
public final class InDoubtResolver implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(InDoubtResolver.class);

    private final LocalNode node;
    private final TxCoordinator coordinator;
    private final PeerLink link;
    private final List<String> peers;
    private final Function<String, String> peerNamed;
    private final Scheduler scheduler;
    private final long afterMillis;
    private volatile boolean closed;
    private volatile Scheduler.Cancellable next;

    /**
     * @param peerNamed the address of the connected peer with a node name, {@code null} if unknown
     */
    public InDoubtResolver(LocalNode node, TxCoordinator coordinator, PeerLink link, List<String> peers,
            Function<String, String> peerNamed, Scheduler scheduler, Duration after) {
        this.node = node;
        this.coordinator = coordinator;
        this.link = link;
        this.peers = List.copyOf(peers);
        this.peerNamed = peerNamed;
        this.scheduler = scheduler;
        this.afterMillis = after.toMillis();
    }

    /** Runs a pass every {@code period} (the next one starts when the last has finished). */
    public void start(Duration period) {
        long nanos = Math.max(1, period.toNanos());
        next = scheduler.schedule(nanos, () -> {
            if (closed) {
                return;
            }
            CompletableFuture<Integer> pass;
            try {
                pass = node.isOpen() ? resolveOnce() : CompletableFuture.completedFuture(0);
            } catch (RuntimeException e) {
                pass = CompletableFuture.failedFuture(e);
            }
            pass.whenComplete((n, e) -> {
                if (e != null) {
                    LOG.warnf(e, "Resolving in-doubt branches on node '%s' failed; retrying at the next pass", node.nodeName());
                }
                if (!closed) {
                    start(period);
                }
            });
        });
    }

    /** One pass: resends old commits and resolves what can be; completes with how many branches were completed. */
    public CompletableFuture<Integer> resolveOnce() {
        coordinator.resendCommits(afterMillis * 1_000_000L);
        long now = scheduler.currentTimeMillis();
        AtomicInteger done = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (LocalNode.InDoubt d : node.inDoubt()) {
            if (d.ageMillis(now) < afterMillis) {
                continue;
            }
            Tracing.Span span = coordinator.tracing().recovery("resolve in-doubt branch", d.branch());
            CompletableFuture<Outcome> decided = d.adoptedFrom().isEmpty() ? ask(d).thenApply(Resolution::fromCoordinator)
                    : askParticipants(d);
            all.add(decided.thenCompose(outcome -> carryOut(d, outcome, now)).whenComplete((ok, e) -> span.end(e))
                    .thenAccept(ok -> {
                        if (ok) {
                            done.incrementAndGet();
                        }
                    }).exceptionally(e -> {
                // Typically the coordinator's own second phase got there first.
                LOG.debugf("Branch %s on node '%s': %s", d.branch(), node.nodeName(), Futures.unwrap(e).getMessage());
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> done.get());
    }

    private CompletableFuture<Boolean> carryOut(LocalNode.InDoubt d, Outcome outcome, long now) {
        if (outcome == null) {
            LOG.debugf("Branch %s on node '%s' stays in doubt after %d ms: nobody could tell its outcome yet", d.branch(),
                    node.nodeName(), d.ageMillis(now));
            return CompletableFuture.completedFuture(false);
        }
        boolean commit = outcome == Outcome.COMMITTED;
        return (commit ? node.commit(d.branch()) : node.rollback(d.branch())).thenApply(c -> {
            if (!d.adoptedFrom().isEmpty()) {
                tellParticipants(d);
            }
            LOG.infof("Node '%s' resolved in-doubt branch %s after %d ms: %s %s it", node.nodeName(), d.branch(),
                    d.ageMillis(now), d.adoptedFrom().isEmpty() ? "its coordinator '" + d.coordinator() + "'"
                            : "its participants " + d.adoptedFrom(),
                    commit ? "committed" : "rolled back");
            return true;
        });
    }

    /**
     * A branch adopted while catching up (quorum mode): the coordinator first (once it no longer runs the
     * transaction no participant can still prepare it), then each participant (see {@link Resolution#adopted}).
     */
    private CompletableFuture<Outcome> askParticipants(LocalNode.InDoubt d) {
        return ask(d).thenCompose(coordinatorSays -> {
            List<CompletableFuture<Outcome>> answers = new ArrayList<>();
            for (String name : d.adoptedFrom()) {
                String peer = peerNamed.apply(name);
                answers.add(peer == null ? CompletableFuture.completedFuture(null)
                        : link.branchState(peer, d.branch().gtrid()).exceptionally(e -> {
                            LOG.debugf("Cannot ask %s about adopted branch %s: %s", peer, d.branch(), Futures.unwrap(e).getMessage());
                            return null;
                        }));
            }
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> Resolution
                    .adopted(coordinatorSays, answers.stream().map(CompletableFuture::join).toList()));
        });
    }

    /** Tells the participants of an adopted branch that this node has its outcome (they drop their hint for it). */
    private void tellParticipants(LocalNode.InDoubt d) {
        for (String name : d.adoptedFrom()) {
            String peer = peerNamed.apply(name);
            if (peer != null) {
                link.caughtUp(peer, List.of(d.branch().gtrid())).exceptionally(e -> {
                    LOG.debugf("Cannot tell %s that branch %s is resolved here: %s", peer, d.branch(), Futures.unwrap(e).getMessage());
                    return null;
                });
            }
        }
    }

    /** The coordinator's answer, or {@code null} if no coordinator could be asked. */
    private CompletableFuture<Outcome> ask(LocalNode.InDoubt d) {
        if (node.nodeName().equals(d.coordinator())) {
            return CompletableFuture.completedFuture(coordinator.outcomeOf(d.branch()));
        }
        String named = d.coordinator() == null ? null : peerNamed.apply(d.coordinator());
        // Not connected to a peer of that name (yet): whoever coordinated it answers, the others say UNKNOWN.
        List<String> candidates = named != null ? List.of(named) : peers;
        return askEach(d, candidates, 0);
    }

    private CompletableFuture<Outcome> askEach(LocalNode.InDoubt d, List<String> candidates, int i) {
        if (i >= candidates.size()) {
            return CompletableFuture.completedFuture(null);
        }
        String peer = candidates.get(i);
        return link.outcome(peer, d.branch()).handle((o, e) -> {
            if (e != null) {
                LOG.debugf("Cannot ask %s about branch %s: %s", peer, d.branch(), Futures.unwrap(e).getMessage());
                return null;
            }
            return o;
        }).thenCompose(o -> o != null && o != Outcome.UNKNOWN ? CompletableFuture.completedFuture(o) : askEach(d, candidates, i + 1));
    }

    @Override
    public void close() {
        closed = true;
        Scheduler.Cancellable n = next;
        if (n != null) {
            n.cancel();
        }
    }
}
