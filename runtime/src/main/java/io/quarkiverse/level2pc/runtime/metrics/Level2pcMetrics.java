package io.quarkiverse.level2pc.runtime.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PeerMonitor;
import io.quarkiverse.level2pc.node.Telemetry;
import io.quarkiverse.level2pc.runtime.Level2pcNode;

/**
 * The node's Micrometer metrics, registered when the application has {@code quarkus-micrometer} (the extension
 * depends on it optionally; this bean exists only then). Names follow Micrometer's conventions (dot-separated,
 * base units, tags for dimensions); with the Prometheus registry they read {@code level2pc_transactions_seconds_count}
 * and so on. The list is in the operations guide.
 */
@Singleton
public class Level2pcMetrics implements MeterBinder, Telemetry {

    @Inject
    Level2pcNode node;

    private volatile MeterRegistry registry;
    private final Map<String, Timer> transactions = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> peerCalls = new ConcurrentHashMap<>();

    @Override
    public void bindTo(MeterRegistry r) {
        this.registry = r;
        gauge(r, "level2pc.ready", "1 while the node takes writes (its level-2pc-writes health check), else 0",
                n -> n.readiness().isReady() ? 1 : 0);
        gauge(r, "level2pc.readable", "1 while the node serves reads, else 0", n -> n.readiness().readable() ? 1 : 0);
        gauge(r, "level2pc.store.failed", "1 once the node's store failed a write (fail-stop until restarted), else 0",
                n -> n.local().storeFailure() != null ? 1 : 0);
        gauge(r, "level2pc.branches.in.doubt", "Prepared branches on this node waiting for their outcome",
                n -> n.local().inDoubt().size());
        gauge(r, "level2pc.decisions.pending", "Commit decisions of this coordinator not yet acknowledged by every peer",
                n -> n.coordinator().pendingDecisions());
        gauge(r, "level2pc.peers.connected", "Peers this node is connected to", n -> n.monitor() == null ? 0 : n.monitor().connectedCount());
        gauge(r, "level2pc.peers", "Peers configured", n -> n.monitor() == null ? 0 : n.monitor().status().size());
        gauge(r, "level2pc.quorum.readable", "Quorum mode: 1 while the node holds its read lease, else 0",
                n -> n.quorum() == null ? Double.NaN : n.readiness().readable() ? 1 : 0);
        for (PeerMonitor.State state : PeerMonitor.State.values()) {
            Gauge.builder("level2pc.peer.states", node, l -> {
                Node n = l.nodeIfOpen();
                return n == null || n.monitor() == null ? 0
                        : n.monitor().status().stream().filter(p -> p.state() == state).count();
            }).description("Peers in each state").tag("state", state.name().toLowerCase()).strongReference(true).register(r);
        }
        FunctionCounter.builder("level2pc.store.writes", node, l -> storeStat(l, true))
                .description("Writes made durable by the node's store (prepare records, commits, decisions)").register(r);
        FunctionCounter.builder("level2pc.store.syncs", node, l -> storeStat(l, false))
                .description("Synced LevelDB writes that carried them (group commit: writes per sync = writes / syncs)")
                .register(r);
        node.telemetry(this);
    }

    private void gauge(MeterRegistry r, String name, String description, ToDoubleFunction<Node> value) {
        Gauge.builder(name, node, l -> {
            Node n = l.nodeIfOpen();
            return n == null ? Double.NaN : value.applyAsDouble(n);
        }).description(description).strongReference(true).register(r);
    }

    private static double storeStat(Level2pcNode l, boolean writes) {
        Node n = l.nodeIfOpen();
        if (n == null) {
            return 0;
        }
        var stats = n.local().store().writeStats();
        return writes ? stats.writes() : stats.groups();
    }

    /** The outcome tag of a transaction or a peer call. */
    static String outcome(Throwable failure) {
        if (failure == null) {
            return "committed";
        }
        if (failure instanceof ConflictException) {
            return "conflict";
        }
        if (failure instanceof LockWaitTimeoutException) {
            return "lock_wait_timeout";
        }
        if (failure instanceof NotReadyException) {
            return "not_ready";
        }
        if (failure instanceof PeerUnavailableException) {
            return "peer_unavailable";
        }
        return "failed";
    }

    @Override
    public void transactionEnded(Throwable failure, long nanos, int peers) {
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        String outcome = outcome(failure);
        transactions.computeIfAbsent(outcome, o -> Timer.builder("level2pc.transactions")
                .description("Transactions this node coordinated (each attempt of a retried write), by outcome, and how long"
                        + " their commit took")
                .tag("outcome", o).publishPercentileHistogram().register(r)).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void peerCall(String peer, String operation, long nanos, Throwable failure) {
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        String outcome = failure == null ? "ok" : outcome(failure).replace("committed", "ok");
        peerCalls.computeIfAbsent(List.of(peer, operation, outcome), k -> Timer.builder("level2pc.peer.calls")
                .description("Calls to peers by peer, protocol operation and outcome, and how long they took")
                .tags(Tags.of("peer", peer, "operation", operation, "outcome", outcome)).publishPercentileHistogram()
                .register(r)).record(nanos, TimeUnit.NANOSECONDS);
    }
}
