package io.quarkiverse.level2pc.runtime;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.jta.CoordinatorLog;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.transport.PeerClient;

/**
 * The participant's side of the callback site. Every {@code recovery-period}, each branch prepared on
 * this node for longer than {@code in-doubt-after} is resolved by asking its coordinator what it
 * decided: this node's own Narayana for the branches it coordinated, otherwise the peer of that name.
 * A commit decision is applied, an abort (explicit or presumed: the coordinator has no record of a
 * commit and no longer runs the transaction) rolls the branch back. While nobody can answer (the
 * coordinator is down, or still deciding) the branch stays prepared and its keys stay locked.
 *
 * <p>
 * This makes recovery independent of how often the coordinator's Narayana scans its log: a
 * participant that was down during the second phase, or whose coordinator crashed, completes its
 * branches as soon as the coordinator answers.
 */
final class InDoubtResolver implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(InDoubtResolver.class);

    private final LocalNode node;
    private final PeerClient client;
    private final List<URI> peers;
    private final Function<String, URI> peerNamed;
    private final Function<BranchId, CoordinatorLog.Outcome> ownOutcome;
    private final long afterMillis;
    private ScheduledExecutorService timer;

    /**
     * @param peerNamed the base URI of the peer with a node name, {@code null} if unknown
     * @param ownOutcome what this node's Narayana knows of a transaction it coordinated
     */
    InDoubtResolver(LocalNode node, PeerClient client, List<URI> peers, Function<String, URI> peerNamed,
            Function<BranchId, CoordinatorLog.Outcome> ownOutcome, Duration after) {
        this.node = node;
        this.client = client;
        this.peers = peers;
        this.peerNamed = peerNamed;
        this.ownOutcome = ownOutcome;
        this.afterMillis = after.toMillis();
    }

    synchronized void start(Duration period) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "level-2pc-in-doubt-resolver");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, period.toMillis());
        timer.scheduleWithFixedDelay(this::runQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void runQuietly() {
        try {
            if (node.isOpen()) {
                resolveOnce(System.currentTimeMillis());
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "Resolving in-doubt branches on node '%s' failed; retrying at the next pass", node.nodeName());
        }
    }

    /**
     * One pass over the branches in doubt for at least {@code in-doubt-after} at {@code nowMillis}.
     *
     * @return how many branches were completed
     */
    int resolveOnce(long nowMillis) {
        resendCommits(nowMillis);
        int done = 0;
        for (LocalNode.InDoubt d : node.inDoubt()) {
            if (d.ageMillis(nowMillis) < afterMillis) {
                continue;
            }
            CoordinatorLog.Outcome outcome = d.adoptedFrom().isEmpty() ? ask(d) : askParticipants(d);
            if (outcome != CoordinatorLog.Outcome.COMMITTED && outcome != CoordinatorLog.Outcome.ROLLED_BACK) {
                LOG.debugf("Branch %s on node '%s' stays in doubt after %d ms: coordinator '%s' answered %s", d.branch(),
                        node.nodeName(), d.ageMillis(nowMillis), d.coordinator(), outcome == null ? "nothing" : outcome);
                continue;
            }
            boolean commit = outcome == CoordinatorLog.Outcome.COMMITTED;
            try {
                if (commit) {
                    node.commit(d.branch());
                } else {
                    node.rollback(d.branch());
                }
                done++;
                if (!d.adoptedFrom().isEmpty()) {
                    caughtUp(d);
                }
                LOG.infof("Node '%s' resolved in-doubt branch %s after %d ms: %s %s it", node.nodeName(), d.branch(),
                        d.ageMillis(nowMillis), d.adoptedFrom().isEmpty() ? "its coordinator '" + d.coordinator() + "'"
                                : "its participants " + d.adoptedFrom(),
                        commit ? "committed" : "rolled back");
            } catch (RuntimeException e) {
                // Typically the coordinator's own second phase (or its recovery) got there first.
                LOG.debugf("Branch %s on node '%s': %s", d.branch(), node.nodeName(), e.getMessage());
            }
        }
        return done;
    }

    /**
     * The coordinator's side: commits this node decided whose peers have not acknowledged them for
     * {@code in-doubt-after} (a peer was down, or this node restarted) are sent again. A peer that no
     * longer knows the branch already applied it.
     */
    private void resendCommits(long nowMillis) {
        for (Codec.Decision d : node.decisionsBefore(nowMillis - afterMillis)) {
            for (java.util.Map.Entry<String, BranchId> e : d.peers().entrySet()) {
                try {
                    client.commit(URI.create(e.getKey()), e.getValue());
                    node.acknowledged(d.gtrid(), e.getKey());
                    LOG.infof("Node '%s' completed the commit of %s on peer %s", node.nodeName(), e.getValue(), e.getKey());
                } catch (PeerClient.HeuristicOutcome h) {
                    LOG.errorf("Commit of %s on peer %s: %s", e.getValue(), e.getKey(), h.getMessage());
                    node.acknowledged(d.gtrid(), e.getKey());
                } catch (RuntimeException ex) {
                    LOG.debugf("Commit of %s on peer %s still pending: %s", e.getValue(), e.getKey(), ex.getMessage());
                }
            }
        }
    }

    /**
     * A branch this node adopted while catching up (quorum mode). Its coordinator never enlisted this node
     * and forgets a committed transaction once its participants acknowledged, after which it presumes abort;
     * but every participant of a transaction that committed without this node keeps a catch-up hint for it
     * until this node caught up with it (see {@link LocalNode#branchState}). So: committed if a participant
     * holds the hint; rolled back only if the coordinator presumes abort (it no longer runs the transaction)
     * and every participant answered that it holds neither the branch nor a hint; otherwise still in doubt
     * ({@code null}).
     */
    private CoordinatorLog.Outcome askParticipants(LocalNode.InDoubt d) {
        // The coordinator first: once it no longer runs the transaction no participant can still prepare it, so
        // a participant answering "no record" afterwards rolled it back or saw every node catch up with it.
        CoordinatorLog.Outcome coordinator = ask(d);
        if (coordinator == CoordinatorLog.Outcome.COMMITTED) {
            return coordinator;
        }
        boolean noneHasIt = true;
        for (String name : d.adoptedFrom()) {
            URI peer = peerNamed.apply(name);
            if (peer == null) {
                return null;
            }
            try {
                String state = client.branchState(peer, d.branch().gtrid());
                if ("COMMITTED".equals(state)) {
                    return CoordinatorLog.Outcome.COMMITTED;
                }
                noneHasIt &= "NO_RECORD".equals(state);
            } catch (RuntimeException e) {
                LOG.debugf("Cannot ask %s about adopted branch %s: %s", peer, d.branch(), e.getMessage());
                return null;
            }
        }
        return noneHasIt && coordinator == CoordinatorLog.Outcome.ROLLED_BACK ? CoordinatorLog.Outcome.ROLLED_BACK : null;
    }

    /** Tells the participants of an adopted branch that this node has its outcome (they drop their hint for it). */
    private void caughtUp(LocalNode.InDoubt d) {
        for (String name : d.adoptedFrom()) {
            URI peer = peerNamed.apply(name);
            if (peer != null) {
                try {
                    client.caughtUp(peer, List.of(d.branch().gtrid()));
                } catch (RuntimeException e) {
                    LOG.debugf("Cannot tell %s that branch %s is resolved here: %s", peer, d.branch(), e.getMessage());
                }
            }
        }
    }

    /** The coordinator's answer, or {@code null} if no coordinator could be asked. */
    private CoordinatorLog.Outcome ask(LocalNode.InDoubt d) {
        if (node.nodeName().equals(d.coordinator())) {
            return ownOutcome.apply(d.branch());
        }
        URI named = d.coordinator() == null ? null : peerNamed.apply(d.coordinator());
        List<URI> candidates = new ArrayList<>();
        if (named != null) {
            candidates.add(named);
        } else {
            // Not connected to a peer of that name (yet): whoever coordinated it answers, the others say so.
            candidates.addAll(peers);
        }
        for (URI peer : candidates) {
            try {
                CoordinatorLog.Outcome o = CoordinatorLog.Outcome.valueOf(client.outcome(peer, d.branch()).trim());
                if (o != CoordinatorLog.Outcome.NOT_COORDINATOR) {
                    return o;
                }
            } catch (RuntimeException e) {
                LOG.debugf("Cannot ask %s about branch %s: %s", peer, d.branch(), e.getMessage());
            }
        }
        return null;
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
