package io.quarkiverse.level2pc.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.node.CatchUps;
import io.quarkiverse.level2pc.node.InDoubtResolver;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.PeerMonitor;
import io.quarkiverse.level2pc.node.QuorumMode;
import io.quarkiverse.level2pc.node.Readiness;
import io.quarkiverse.level2pc.node.Scheduler;
import io.quarkiverse.level2pc.node.TxCoordinator;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.PeerEndpoint;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.node.Heuristics;
import io.quarkiverse.level2pc.node.Reads;

/**
 * Builds one node's object graph from plain settings, a store, a link to the peers and a scheduler, and
 * starts its periodic work. Free of CDI and Quarkus: the application's lifecycle bean and the cluster
 * simulation assemble nodes the same way.
 */
public final class NodeAssembly {

    /**
     * What a node is built from: the validated configuration, as plain values. {@code catchUpPageBytes} is the
     * page budget of a catch-up answer (quorum mode, see {@link CatchUps#catchUpFor}).
     */
    public record Settings(String nodeName, String clusterName, List<String> peers, int minConsensus, Duration lockWaitTimeout,
            Duration readLease, Duration heartbeat, int failAfter, Duration inDoubtAfter, Duration recoveryPeriod,
            Duration readyTimeout, boolean waitForPeerCommits, long catchUpPageBytes) {
        public Settings {
            peers = List.copyOf(peers);
        }

        /** Settings with catch-up pages of {@link CatchUps#DEFAULT_PAGE_BYTES}. */
        public Settings(String nodeName, String clusterName, List<String> peers, int minConsensus, Duration lockWaitTimeout,
                Duration readLease, Duration heartbeat, int failAfter, Duration inDoubtAfter, Duration recoveryPeriod,
                Duration readyTimeout, boolean waitForPeerCommits) {
            this(nodeName, clusterName, peers, minConsensus, lockWaitTimeout, readLease, heartbeat, failAfter, inDoubtAfter,
                    recoveryPeriod, readyTimeout, waitForPeerCommits, CatchUps.DEFAULT_PAGE_BYTES);
        }

        /** Whether writes commit without some peers (quorum mode). */
        public boolean quorumMode() {
            return !peers.isEmpty() && minConsensus < peers.size();
        }
    }

    private NodeAssembly() {
    }

    /**
     * Opens the node over {@code store} (restoring its prepared branches and decisions before anything is
     * served), wires its drivers and starts them.
     *
     * @param externalLog what the application's transaction manager knows of one of its transactions (the
     *        callback site for branches it prepared through this node)
     * @param events where lifecycle events go
     */
    public static Node assemble(Settings s, NodeStore store, PeerLink link, PeerEndpoint endpoint, Scheduler scheduler,
            Random random, Function<BranchId, Outcome> externalLog, Consumer<Object> events) {
        LocalNode local = LocalNode.open(store, s.nodeName(), s.lockWaitTimeout(), scheduler);
        CatchUps catchUps = new CatchUps(local, s.catchUpPageBytes());
        AtomicReference<Readiness> readiness = new AtomicReference<>();
        Runnable changed = () -> {
            Readiness r = readiness.get();
            if (r != null) {
                r.changed();
            }
        };
        PeerMonitor monitor = s.peers().isEmpty() ? null
                : new PeerMonitor(s.peers(), link, s.nodeName(), s.clusterName(), PeerProtocol.VERSION, s.minConsensus(),
                        s.heartbeat(), s.failAfter(), events, changed, scheduler);
        TxCoordinator coordinator = new TxCoordinator(local, link, scheduler, new TxIds(s.nodeName(), random.nextLong()), random,
                s.waitForPeerCommits(), externalLog, (peer, why) -> {
                    if (monitor != null) {
                        monitor.reportFailure(peer, why);
                    }
                });
        InDoubtResolver resolver = new InDoubtResolver(local, coordinator, link, s.peers(),
                name -> monitor == null ? null : monitor.peerNamed(name), scheduler, s.inDoubtAfter());
        QuorumMode quorum = s.quorumMode()
                ? new QuorumMode(local, catchUps, monitor, link, scheduler, s.minConsensus(), s.peers().size() + 1, s.readLease(),
                        s.heartbeat(), changed)
                : null;
        readiness.set(new Readiness(local, s.peers(), monitor, quorum, scheduler, s.readyTimeout(), s.readLease(), s.heartbeat(),
                events));
        Node node = new Node(local, new Reads(local), new Heuristics(local), catchUps, coordinator, resolver, monitor, quorum,
                readiness.get());
        // Settings every node must share: said in each hello answer, compared in each hello sent.
        long lease = quorum != null ? s.readLease().toMillis() : -1;
        endpoint.settings(s.minConsensus(), lease);
        if (monitor != null) {
            monitor.expectReadLease(lease);
            endpoint.onHello(monitor::heardFrom);
        }
        if (quorum != null) {
            endpoint.quorumMode(quorum.lease()::promised, quorum.lease()::isCurrent);
            quorum.start();
        }
        resolver.start(s.recoveryPeriod());
        if (monitor != null) {
            monitor.start();
        } else {
            node.readiness().changed();
        }
        return node;
    }
}
