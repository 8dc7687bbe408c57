package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.HybridClock;
import io.quarkiverse.level2pc.core.QuorumLease;

/**
 * Quorum mode ({@code min-consensus} below the number of peers) on one node: its {@link QuorumLease}
 * fed by the heartbeats, the guard every prepare passes, and the catch-up a node runs when its lease came
 * back after a lapse (it may have missed commits) before it reads or votes again. Also sweeps old
 * tombstones while current.
 */
public final class QuorumMode {

    private static final Logger LOG = Logger.getLogger(QuorumMode.class);
    /** Peers whose hello clock was ignored (reported once each). */
    private final java.util.Set<String> clockWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** How long a tombstone is kept once the node is current (far beyond any prepare's life). */
    static final long TOMBSTONE_RETENTION_MILLIS = TimeUnit.MINUTES.toMillis(10);

    private final LocalNode node;
    private final CatchUps catchUps;
    private final PeerMonitor monitor;
    private final PeerLink link;
    private final Scheduler scheduler;
    private final QuorumLease lease;
    private final Duration readLease;
    private final Duration heartbeat;
    private final Runnable readinessChanged;
    private final AtomicBoolean catchingUp = new AtomicBoolean();
    /**
     * Until then a node that could not catch up neither asks for read leases nor counts as current, so the
     * others stop waiting for it and commit without it (their promises to it run out); then it tries again.
     */
    private volatile long catchUpBackoffUntil;
    private volatile long lastSweepMillis;
    private volatile String lastCatchUpProblem;

    public QuorumMode(LocalNode node, CatchUps catchUps, PeerMonitor monitor, PeerLink link, Scheduler scheduler, int required,
            int clusterSize, Duration readLease, Duration heartbeat, Runnable readinessChanged) {
        this.node = node;
        this.catchUps = catchUps;
        this.monitor = monitor;
        this.link = link;
        this.scheduler = scheduler;
        this.readLease = readLease;
        this.heartbeat = heartbeat;
        this.readinessChanged = readinessChanged;
        this.lease = new QuorumLease(node.nodeName(), required, clusterSize, readLease, scheduler::nanoTime);
        this.catchUpBackoffUntil = scheduler.nanoTime();
        this.lastSweepMillis = scheduler.currentTimeMillis();
    }

    /** Wires the lease into the node's prepares and the monitor's heartbeats. */
    public void start() {
        node.prepareGuard(lease::checkPrepare);
        monitor.quorumMode(() -> lease.isCurrent() || scheduler.nanoTime() - catchUpBackoffUntil >= 0, (peer, sent, asked, hello) -> {
            if (asked) {
                lease.granted(hello.node(), sent);
                if (hello.behind() && lease.behind()) {
                    LOG.infof("level-2pc node '%s' is behind: peer %s (node '%s') holds a transaction written without it;"
                            + " it catches up before it reads again", node.nodeName(), peer, hello.node());
                    readinessChanged.run();
                }
            }
            if (node.isOpen() && !node.observeClock(hello.clock()) && clockWarned.add(peer)) {
                LOG.warnf("Node '%s' ignores the clock of peer %s (node '%s'): it is %d s ahead of this node's, more than"
                        + " %d s; keep the nodes' clocks in sync (NTP). Reported once per peer", node.nodeName(), peer,
                        hello.node(), (HybridClock.millisOf(hello.clock()) - scheduler.currentTimeMillis()) / 1000,
                        LocalNode.MAX_CLOCK_AHEAD_MILLIS / 1000);
            }
        });
        monitor.onTick(this::tick);
        LOG.infof("level-2pc node '%s' runs in quorum mode: writes commit on this node and at least %d of its peers;"
                + " reads need a read lease of %s", node.nodeName(), monitor.required(), readLease);
    }

    public QuorumLease lease() {
        return lease;
    }

    /** Every monitor round: start a catch-up if the lease is back, sweep tombstones, recompute readiness. */
    private void tick() {
        if (!node.isOpen()) {
            return;
        }
        if (!lease.isCurrent() && scheduler.nanoTime() - catchUpBackoffUntil >= 0 && lease.leaseHeld()
                && catchingUp.compareAndSet(false, true)) {
            catchUp().whenComplete((ok, e) -> catchingUp.set(false));
        }
        long now = scheduler.currentTimeMillis();
        if (lease.readable() && now - lastSweepMillis > 60_000) {
            lastSweepMillis = now;
            int swept = node.store().sweepTombstones(now - TOMBSTONE_RETENTION_MILLIS);
            if (swept > 0) {
                LOG.debugf("Node '%s' removed %d old tombstone(s)", node.nodeName(), swept);
            }
        }
        readinessChanged.run();
    }

    /**
     * Brings this node up to date from the peers whose grants it holds (at least {@code min-consensus}, so
     * they include a participant of every commit it missed), page by page (see {@link #pages}), then marks it
     * current unless its lease lapsed meanwhile. On a failure it backs off (see {@link #catchUpBackoffUntil})
     * and the monitor tries again.
     */
    private CompletableFuture<Boolean> catchUp() {
        long epoch = lease.epoch();
        List<String> sources = new ArrayList<>();
        for (String name : lease.grantors()) {
            String uri = monitor.peerNamed(name);
            if (uri != null) {
                sources.add(uri);
            }
        }
        if (sources.size() < monitor.required()) {
            return CompletableFuture.completedFuture(true); // the lease ran out before the catch-up started: start over
        }
        return pages(sources, epoch, 1)
                .handle((pages, e) -> {
                    if (e != null) {
                        noteCatchUpProblem(Futures.unwrap(e).getMessage());
                        if (!lease.isCurrent()) {
                            lease.dropGrants();
                            catchUpBackoffUntil = scheduler.nanoTime() + readLease.multipliedBy(2).plus(heartbeat).toNanos();
                        }
                        return false;
                    }
                    if (lease.caughtUp(epoch)) {
                        lastCatchUpProblem = null;
                        LOG.infof("level-2pc node '%s' is current (caught up from %s in %d page(s))", node.nodeName(), sources,
                                pages);
                        readinessChanged.run();
                    }
                    return true;
                });
    }

    /**
     * Asks every source for a page of what this node missed and applies the answers together; while any answer
     * says {@code more}, tells each source it applied that page's hints, waits until they all dropped them (or
     * they would send them again) and asks every source again. Only an answer without more covers all the hints
     * a source holds for this node. Completes with the number of pages; early, unfinished, if the lease lapsed
     * (the caller then does not turn current and starts over). A page applied alone is safe: a key takes a
     * state only if its stamp is newer, and a source drops a hint only once this node applied it.
     */
    private CompletableFuture<Integer> pages(List<String> sources, long epoch, int page) {
        List<CompletableFuture<CatchUp>> asks = sources.stream().map(link::catchUp).toList();
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenCompose(v -> {
                    List<CatchUp> answers = asks.stream().map(CompletableFuture::join).toList();
                    return catchUps.apply(answers).thenCompose(busy -> {
                        if (busy != null) {
                            throw new IllegalStateException("waiting: " + busy);
                        }
                        if (!CatchUp.anyMore(answers)) {
                            for (int i = 0; i < sources.size(); i++) {
                                tellCaughtUp(sources.get(i), answers.get(i));
                            }
                            return CompletableFuture.completedFuture(page);
                        }
                        List<CompletableFuture<Void>> told = new ArrayList<>();
                        for (int i = 0; i < sources.size(); i++) {
                            if (!answers.get(i).hints().isEmpty()) {
                                told.add(link.caughtUp(sources.get(i), answers.get(i).hints()));
                            }
                        }
                        return CompletableFuture.allOf(told.toArray(CompletableFuture[]::new)).thenCompose(
                                done -> lease.epoch() != epoch ? CompletableFuture.completedFuture(page)
                                        : pages(sources, epoch, page + 1));
                    });
                });
    }

    private void tellCaughtUp(String source, CatchUp answer) {
        if (!answer.hints().isEmpty()) {
            link.caughtUp(source, answer.hints()).exceptionally(e -> {
                LOG.debugf("Node '%s' could not tell %s it caught up (it will send those hints again): %s", node.nodeName(), source,
                        Futures.unwrap(e).getMessage());
                return null;
            });
        }
    }

    private void noteCatchUpProblem(String problem) {
        if (!Objects.equals(problem, lastCatchUpProblem)) {
            LOG.warnf("level-2pc node '%s' could not catch up yet: %s", node.nodeName(), problem);
        }
        lastCatchUpProblem = problem;
    }

    /** The lease state for health data and errors. */
    public String describe() {
        return lease.describe() + (lastCatchUpProblem == null ? "" : "; catch-up: " + lastCatchUpProblem);
    }
}
