package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Every directed peer link of a test cluster through its own {@link TcpProxy}: node {@code i} lists the
 * proxies of its links to the others as its peers ({@link #peerProperties}), in the others' order, so the
 * proxy of i→j carries i's requests to j and j's answers back. The faults of a test are set on the
 * links; {@link #heal} undoes them all.
 */
final class NetworkMesh implements AutoCloseable {

    private final List<List<TcpProxy>> links = new ArrayList<>();

    /** Proxies between the nodes listening on {@code ports}; {@code seed} fixes their delays and losses. */
    /**
     * A new mesh for the ports of a cluster's start attempt, held in {@code ref}; the one of a failed attempt before
     * it is closed. Returns each node's peer properties (see {@link #peerProperties}).
     */
    static Map<Integer, Map<String, String>> replace(AtomicReference<NetworkMesh> ref, int[] ports,
            long seed) {
        NetworkMesh old = ref.getAndSet(new NetworkMesh(ports, seed));
        if (old != null) {
            old.close();
        }
        return ref.get().peerProperties();
    }

    NetworkMesh(int[] ports, long seed) {
        try {
            for (int i = 0; i < ports.length; i++) {
                List<TcpProxy> row = new ArrayList<>();
                for (int j = 0; j < ports.length; j++) {
                    row.add(i == j ? null : new TcpProxy(label(i) + "->" + label(j), ports[j], seed + 31L * i + j));
                }
                links.add(row);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    private static String label(int i) {
        return String.valueOf((char) ('a' + i));
    }

    /** For {@link ClusterProcesses#start}: each node's peers are its links' proxies. */
    Map<Integer, Map<String, String>> peerProperties() {
        Map<Integer, Map<String, String>> props = new HashMap<>();
        for (int i = 0; i < links.size(); i++) {
            props.put(i, Map.of("quarkus.level-2pc.peers", String.join(",", peersOf(i).stream().map(URI::toString).toList())));
        }
        return props;
    }

    /** The peer URLs of node {@code i}, in its configuration order. */
    List<URI> peersOf(int i) {
        List<URI> peers = new ArrayList<>();
        for (TcpProxy p : links.get(i)) {
            if (p != null) {
                peers.add(URI.create(p.url()));
            }
        }
        return peers;
    }

    TcpProxy link(int from, int to) {
        return links.get(from).get(to);
    }

    void everyLink(Consumer<TcpProxy> action) {
        links.forEach(row -> row.forEach(p -> {
            if (p != null) {
                action.accept(p);
            }
        }));
    }

    /** Both directions of the link between {@code x} and {@code y} in {@code mode}. */
    void bothWays(int x, int y, TcpProxy.Mode mode) {
        link(x, y).mode(mode);
        link(y, x).mode(mode);
    }

    /** Node {@code node} cut off from every other, both directions. */
    void isolate(int node) {
        for (int other = 0; other < links.size(); other++) {
            if (other != node) {
                bothWays(node, other, TcpProxy.Mode.CUT);
            }
        }
    }

    /**
     * The link between {@code x} and {@code y} cut and restored every {@code periodMillis}, both directions,
     * until the returned action stops it.
     */
    Runnable flap(int x, int y, long periodMillis) {
        AtomicBoolean stop = new AtomicBoolean();
        Thread t = new Thread(() -> {
            boolean cut = false;
            while (!stop.get()) {
                cut = !cut;
                bothWays(x, y, cut ? TcpProxy.Mode.CUT : TcpProxy.Mode.PASS);
                try {
                    Thread.sleep(periodMillis); // the flapping period itself
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "flap " + label(x) + "<->" + label(y));
        t.setDaemon(true);
        t.start();
        return () -> {
            stop.set(true);
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            bothWays(x, y, TcpProxy.Mode.PASS);
        };
    }

    /** Every link back to forwarding as it comes. */
    void heal() {
        everyLink(TcpProxy::heal);
    }

    @Override
    public void close() {
        everyLink(TcpProxy::close);
    }
}
