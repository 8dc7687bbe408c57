package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * Network faults between real node processes: every directed peer link of a 3-node cluster goes
 * through a {@link TcpProxy} (node X lists the proxies to the others as its peers), and under a client
 * load spread over the nodes the test, in turn, isolates one node, cuts one direction of one link,
 * black-holes a link (calls hang until their timeout), delays every link by 50-250 ms, and flaps a
 * link (cut and restored every 300 ms); then heals everything. After each phase: every acknowledged
 * write is on every node, no write that definitely failed is anywhere, a write of unknown outcome is
 * on all nodes or on none, the nodes hold the same data, and nothing is left in doubt. In both modes:
 * every node in every write (default) and quorum mode ({@code min-consensus=1}).
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class NetworkFaultIT {

    static final Duration PHASE = Duration.ofSeconds(4);
    static final int CLIENTS = 4;

    /** Short timings, so that faults are noticed and outlived within a phase. */
    static final Map<String, String> FAST = Map.of(
            "quarkus.level-2pc.heartbeat-interval", "250ms",
            "quarkus.level-2pc.prepare-timeout", "2s",
            "quarkus.level-2pc.ready-timeout", "3s",
            "quarkus.level-2pc.recovery-period", "1s",
            "quarkus.level-2pc.in-doubt-after", "1s");

    @Test
    void everyNodeInEveryWrite() throws Exception {
        run("net-full", Map.of());
    }

    @Test
    void quorumMode() throws Exception {
        run("net-quorum", Map.of("quarkus.level-2pc.min-consensus", "1", "quarkus.level-2pc.read-lease", "1s"));
    }

    private void run(String label, Map<String, String> mode) throws Exception {
        Map<String, String> properties = new HashMap<>(FAST);
        properties.putAll(mode);
        AtomicReference<NetworkMesh> meshRef = new AtomicReference<>();
        try (ClusterProcesses cluster = ClusterProcesses.start(label, 3, properties, NodeProcess.TEST_JVM_OPTIONS,
                ports -> NetworkMesh.replace(meshRef, ports, 31))) {
            NetworkMesh mesh = meshRef.get();
            List<NodeProcess> nodes = cluster.nodes();
            Map<String, Integer> answers = new TreeMap<>();
            phase(cluster, mesh, "isolate c", () -> once(() -> mesh.isolate(2)), answers);
            phase(cluster, mesh, "cut a->b (b still reaches a)", () -> once(() -> mesh.link(0, 1).mode(TcpProxy.Mode.CUT)), answers);
            phase(cluster, mesh, "black-hole b->c", () -> once(() -> mesh.link(1, 2).mode(TcpProxy.Mode.BLACKHOLE)), answers);
            phase(cluster, mesh, "delay every link 50-250 ms", () -> once(() -> mesh.everyLink(p -> p.delay(50, 200))), answers);
            phase(cluster, mesh, "flap a<->c every 300 ms", () -> mesh.flap(0, 2, 300), answers);
            System.out.printf("NetworkFaultIT %s: answers over all phases %s%n", label, answers);
            assertThat(nodes).hasSize(3);
        } finally {
            if (meshRef.get() != null) {
                meshRef.get().close();
            }
        }
    }


    /** A fault applied once, healed with the rest (nothing to stop). */
    private static Runnable once(Runnable action) {
        action.run();
        return () -> {
        };
    }

    private interface Fault {
        Runnable apply();
    }

    /** One phase: load, the fault for {@link #PHASE}, heal, recovery, checks. */
    private static void phase(ClusterProcesses cluster, NetworkMesh mesh, String what, Fault fault, Map<String, Integer> answers)
            throws Exception {
        List<NodeProcess> nodes = cluster.nodes();
        String prefix = "nf" + Integer.toHexString(what.hashCode()) + "-";
        Map<String, String> acked = new ConcurrentHashMap<>();
        Set<String> failed = ConcurrentHashMap.newKeySet();
        Map<String, String> unknown = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seq = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    int n = seq.getAndIncrement();
                    NodeProcess node = nodes.get((n + client) % nodes.size());
                    String key = prefix + n;
                    String value = "v" + n + "@" + node.name;
                    Reply r;
                    try {
                        r = DemoClient.send(node, "PUT", "/kv/" + key, value, "text/plain", Duration.ofSeconds(15));
                    } catch (Exception e) {
                        unknown.put(key, value);
                        continue;
                    }
                    synchronized (answers) {
                        answers.merge(r.status() + (r.error() == null ? "" : " " + r.error()), 1, Integer::sum);
                    }
                    switch (CampaignLoad.classify(r)) {
                        case OK -> acked.put(key, value);
                        case FAILED -> failed.add(key);
                        case UNKNOWN -> unknown.put(key, value);
                    }
                }
            }, "net-client-" + c);
            clients.add(t);
            t.start();
        }
        long t0 = System.nanoTime();
        Runnable undo;
        try {
            Thread.sleep(500); // some load before the fault
            undo = fault.apply();
            Thread.sleep(PHASE.toMillis()); // the fault lasts this long under the load
            undo.run();
        } finally {
            mesh.heal();
            Thread.sleep(500); // some load after the heal
            stop.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        long healed = System.nanoTime();
        cluster.awaitAllReady(Duration.ofSeconds(60));
        for (NodeProcess n : nodes) {
            Awaitility.await("nothing in doubt on " + n.name + " after '" + what + "'").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> DemoClient.level2pcCheck(DemoClient.writesHealth(n)).path("data").path("in-doubt").asInt(-1) == 0);
        }
        long recovered = (System.nanoTime() - healed) / 1_000_000;

        Map<String, String> first = null;
        for (NodeProcess n : nodes) {
            Map<String, String> scan = DemoClient.scan(n, prefix);
            if (first == null) {
                first = scan;
            } else {
                assertThat(scan).as("'%s': what %s holds, against %s", what, n.name, nodes.get(0).name).isEqualTo(first);
            }
            for (Map.Entry<String, String> e : acked.entrySet()) {
                assertThat(scan.get(e.getKey())).as("'%s': acknowledged %s on %s", what, e.getKey(), n.name).isEqualTo(e.getValue());
            }
            for (String k : failed) {
                assertThat(scan).as("'%s': %s definitely failed, yet %s holds it", what, k, n.name).doesNotContainKey(k);
            }
        }
        for (Map.Entry<String, String> e : first.entrySet()) {
            boolean attempted = acked.containsKey(e.getKey()) || unknown.containsKey(e.getKey());
            assertThat(attempted).as("'%s': %s is held but was never attempted or definitely failed", what, e.getKey()).isTrue();
            String expected = acked.getOrDefault(e.getKey(), unknown.get(e.getKey()));
            assertThat(e.getValue()).as("'%s': value of %s", what, e.getKey()).isEqualTo(expected);
        }
        System.out.printf("NetworkFaultIT '%s': %d acknowledged, %d definitely failed, %d unknown (%d of them applied); %d ms under"
                + " load; recovered in %d ms%n", what, acked.size(), failed.size(), unknown.size(),
                unknown.keySet().stream().filter(first::containsKey).count(), (healed - t0) / 1_000_000, recovered);
        assertThat(acked).as("'%s': writes acknowledged (the cluster worked before and after the fault)", what).isNotEmpty();
    }
}
