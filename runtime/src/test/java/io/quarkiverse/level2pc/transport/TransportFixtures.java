package io.quarkiverse.level2pc.transport;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.Scheduler;
import io.quarkiverse.level2pc.runtime.NodeAssembly;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * Builders shared by the transport tests: branch ids, transaction work on keys of the default database,
 * a hand-driven {@link Scheduler}, and nodes assembled as the application assembles them, with the
 * {@link PeerEndpoint} that serves them.
 */
final class TransportFixtures {

    /** Narayana's format id. */
    static final int FORMAT_ID = 131077;
    static final String CLUSTER = "level-2pc";

    private TransportFixtures() {
    }

    static BranchId branch(String gtrid) {
        return branch(gtrid, "bq");
    }

    static BranchId branch(String gtrid, String bqual) {
        return new BranchId(FORMAT_ID, Bytes.utf8(gtrid), Bytes.utf8(bqual));
    }

    /** The internal key of {@code userKey} in the default database. */
    static Bytes key(String userKey) {
        return KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), userKey.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Work writing {@code key=value}, having read nothing (full-replication mode, priority 0). */
    static TxWork write(String coordinator, String key, String value) {
        TreeMap<Bytes, byte[]> w = new TreeMap<>();
        w.put(key(key), utf8(value));
        return new TxWork(w, Map.of(), coordinator);
    }

    /** Work writing {@code key=value} after having read {@code readKey} at {@code readVersion}. */
    static TxWork readThenWrite(String coordinator, String readKey, Bytes readVersion, String key, String value) {
        TreeMap<Bytes, byte[]> w = new TreeMap<>();
        w.put(key(key), utf8(value));
        return new TxWork(w, Map.of(key(readKey), readVersion), coordinator);
    }

    /** Quorum-mode work writing {@code key=value} with commit stamp {@code stamp}. */
    static TxWork quorumWrite(String key, String value, long stamp, List<String> participants, int excluded, String coordinator) {
        TreeMap<Bytes, byte[]> w = new TreeMap<>();
        w.put(key(key), utf8(value));
        return new TxWork(w, Map.of(), coordinator, stamp, participants, excluded);
    }

    /**
     * A scheduler whose clocks stand still and whose timers never fire: the tests that use it never wait for
     * a timeout (the in-doubt resolver's periodic pass, a lock-wait timeout) and hold it to that.
     */
    static final class ManualScheduler implements Scheduler {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public long currentTimeMillis() {
            return 1_900_000_000_000L;
        }

        @Override
        public Cancellable schedule(long delayNanos, Runnable task) {
            return () -> {
            };
        }
    }

    /** A transport that reaches nobody: every call fails as unreachable. */
    static final PeerTransport NOWHERE = new PeerTransport() {
        @Override
        public PeerResponse send(URI peer, PeerRequest request) {
            throw new PeerUnavailableException("peer " + peer + " is unreachable (" + request.operation() + "): no network in this test");
        }
    };

    /** The settings of a node without peers (the transport tests drive it through its endpoint). */
    static NodeAssembly.Settings single(String name) {
        return new NodeAssembly.Settings(name, CLUSTER, List.of(), 0, Duration.ofSeconds(5), Duration.ofSeconds(2),
                Duration.ofMillis(500), 3, Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofSeconds(5), true);
    }

    /** A node and the endpoint serving it. */
    record Served(Node node, PeerEndpoint endpoint) implements AutoCloseable {
        /** Handles {@code request} and waits for the answer (every test store answers without a long wait). */
        PeerResponse handle(PeerRequest request) {
            return endpoint.handle(request).orTimeout(30, TimeUnit.SECONDS).join();
        }

        @Override
        public void close() {
            node.close();
        }
    }

    /** Assembles a node without peers over {@code store}, reaching others through {@code link}, and its endpoint. */
    static Served serve(String name, NodeStore store, PeerLink link, Scheduler scheduler) {
        AtomicReference<Node> node = new AtomicReference<>();
        PeerEndpoint endpoint = new PeerEndpoint(node::get, name, CLUSTER);
        node.set(NodeAssembly.assemble(single(name), store, link, endpoint, scheduler, new Random(42), b -> Outcome.UNKNOWN,
                e -> {
                }));
        return new Served(node.get(), endpoint);
    }

    /** {@link #serve} with a link that reaches nobody. */
    static Served serve(String name, NodeStore store, Scheduler scheduler) {
        return serve(name, store, new PeerClient(NOWHERE, name, Runnable::run), scheduler);
    }
}
