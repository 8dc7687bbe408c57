package io.quarkiverse.level2pc.sim;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.runtime.NodeAssembly;
import io.quarkiverse.level2pc.storage.MemoryStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.Membership;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerEndpoint;

/**
 * One simulated node: the real node code (assembled by {@link NodeAssembly}, as in the application) over a
 * {@link MemoryStore} whose syncs take virtual time, reached through the {@link SimNetwork}. A crash drops
 * everything in memory and every task the node had scheduled; its store keeps what the crash keeps.
 */
final class SimNode {

    final String name;
    final String address;
    private final SimScheduler.View clock;
    private final long syncNanos;
    private MemoryStore store;
    private Node node;
    private PeerEndpoint endpoint;
    private boolean up;

    SimNode(String name, SimScheduler scheduler, long syncMicros) {
        this.name = name;
        this.address = "http://" + name + ":8080";
        this.clock = scheduler.view(name);
        this.syncNanos = TimeUnit.MICROSECONDS.toNanos(syncMicros);
        this.store = MemoryStore.on(name, this::disk);
    }

    /** Flushes run on the node's own clock: a flush pending when it crashes never happens. */
    private void disk(boolean sync, Runnable flush) {
        clock.schedule(sync ? syncNanos : 1_000, flush);
    }

    void start(NodeAssembly.Settings settings, SimNetwork network, Random random) {
        endpoint = new PeerEndpoint(() -> up ? node : null, name, settings.clusterName());
        PeerClient client = new PeerClient(network.transportOf(this), name, Runnable::run);
        // As in the application: only members get in.
        endpoint.members(new Membership(name, settings.peers(), client, clock::nanoTime, settings.heartbeat()), Runnable::run);
        node = NodeAssembly.assemble(settings, new NodeStore(store, clock::currentTimeMillis), client, endpoint, clock, random,
                b -> Outcome.UNKNOWN, e -> {
                });
        up = true;
    }

    /** The node dies; on a {@code powerLoss} its unsynced writes are lost too. */
    void crash(boolean powerLoss) {
        up = false;
        clock.crash();
        store = store.crash(this::disk, powerLoss);
        node = null;
        endpoint = null;
    }

    boolean isUp() {
        return up;
    }

    int incarnation() {
        return clock.incarnation;
    }

    Node node() {
        return node;
    }

    PeerEndpoint endpoint() {
        return endpoint;
    }

    MemoryStore store() {
        return store;
    }

    SimScheduler.View clock() {
        return clock;
    }
}
