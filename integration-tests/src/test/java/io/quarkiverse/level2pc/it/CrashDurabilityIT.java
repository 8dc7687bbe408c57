package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The demo app as a separate JVM, killed with {@code kill -9} in the middle of a write load: after a
 * restart every acknowledged write is there, no batch is half-applied, and the bank total holds.
 * The seed is printed; set {@code -Dcrash.seed=N} to replay a run.
 */
class CrashDurabilityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH_SIZE = 5;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void writesSurviveAGracefulRestart() throws Exception {
        try (NodeProcess node = new NodeProcess("restart", tmp.resolve("restart")).start()) {
            assertThat(send(node, "PUT", "/kv/survivor", "still here", "text/plain")).isEqualTo(204);
            node.stop();
            node.start();
            HttpResponse<String> r = get(node, "/kv/survivor");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("still here");
            assertThat(node.logText()).contains("level-2pc node 'restart' closed its store");
        }
    }

    @Test
    void killMinus9DuringLoadLosesNoAcknowledgedWriteAndHalfAppliesNothing() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("CrashDurabilityIT seed=" + seed + " (replay with -Dcrash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (NodeProcess node = new NodeProcess("crash", tmp.resolve("crash")).start()) {
            int accounts = 4;
            for (int i = 0; i < accounts; i++) {
                assertThat(send(node, "PUT", "/bank/accounts/" + run + "-" + i, "{\"balance\":1000}", "application/json"))
                        .isEqualTo(204);
            }
            Set<Integer> ackedBatches = ConcurrentHashMap.newKeySet();
            Set<Integer> attemptedBatches = ConcurrentHashMap.newKeySet();
            Map<String, String> ackedPuts = new ConcurrentHashMap<>();
            Map<String, String> lastAttempted = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            int clients = 6;
            CountDownLatch warmedUp = new CountDownLatch(clients * 10);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            for (int c = 0; c < clients; c++) {
                int client = c;
                long clientSeed = rnd.nextLong();
                pool.submit(() -> {
                    Random r = new Random(clientSeed);
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            int kind = r.nextInt(3);
                            if (kind == 0) {
                                int id = client * 1_000_000 + i;
                                attemptedBatches.add(id);
                                if (send(node, "POST", "/kv/batch", batchBody(run, id), "application/json") == 204) {
                                    ackedBatches.add(id);
                                }
                            } else if (kind == 1) {
                                String key = run + "-put-" + client + "-" + r.nextInt(20);
                                String value = client + ":" + i;
                                lastAttempted.put(key, value);
                                if (send(node, "PUT", "/kv/" + key, value, "text/plain") == 204) {
                                    ackedPuts.put(key, value);
                                }
                            } else {
                                int from = r.nextInt(accounts);
                                int to = (from + 1 + r.nextInt(accounts - 1)) % accounts;
                                send(node, "POST", "/bank/transfer", "{\"from\":\"" + run + "-" + from + "\",\"to\":\"" + run
                                        + "-" + to + "\",\"amount\":" + (1 + r.nextInt(20)) + "}", "application/json");
                            }
                        } catch (IOException e) {
                            // the node died under us: the outcome of this request is unknown
                        } catch (InterruptedException e) {
                            return;
                        }
                        warmedUp.countDown();
                    }
                });
            }
            assertThat(warmedUp.await(60, TimeUnit.SECONDS)).as("load started").isTrue();
            // Let the load run for a seeded number of further acknowledgements, then kill -9.
            int target = ackedBatches.size() + ackedPuts.size() + 20 + rnd.nextInt(200);
            Awaitility.await("load acknowledgements").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5))
                    .until(() -> ackedBatches.size() + ackedPuts.size() >= target);
            node.kill();
            stop.set(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            node.start();
            Map<String, String> all = JSON.readValue(get(node, "/kv?prefix=" + run + "-").body(), new TypeReference<>() {
            });
            // 1. no acknowledged batch lost, no batch half-applied
            int present = 0;
            for (int id : attemptedBatches) {
                int keys = 0;
                for (int k = 0; k < BATCH_SIZE; k++) {
                    if (("b" + id).equals(all.get(run + "-batch-" + id + "-" + k))) {
                        keys++;
                    }
                }
                assertThat(keys).as("batch %d is all-or-nothing (seed %d)", id, seed).isIn(0, BATCH_SIZE);
                if (ackedBatches.contains(id)) {
                    assertThat(keys).as("acknowledged batch %d survives (seed %d)", id, seed).isEqualTo(BATCH_SIZE);
                }
                present += keys == BATCH_SIZE ? 1 : 0;
            }
            // 2. every acknowledged put is there with its value, or with the one attempt of the same
            //    client that was in flight at the kill (each key has one sequential writer)
            for (Map.Entry<String, String> e : ackedPuts.entrySet()) {
                assertThat(all.get(e.getKey())).as("acknowledged put of %s (seed %d)", e.getKey(), seed)
                        .isIn(e.getValue(), lastAttempted.get(e.getKey()));
            }
            // 3. nothing appears that was not attempted
            Set<String> unexpected = new HashSet<>();
            for (String k : all.keySet()) {
                if (k.startsWith(run + "-batch-")) {
                    int id = Integer.parseInt(k.substring((run + "-batch-").length(), k.lastIndexOf('-')));
                    if (!attemptedBatches.contains(id)) {
                        unexpected.add(k);
                    }
                }
            }
            assertThat(unexpected).as("keys never attempted").isEmpty();
            // 4. the bank total holds
            long total = 0;
            for (int i = 0; i < accounts; i++) {
                total += JSON.readTree(get(node, "/bank/accounts/" + run + "-" + i).body()).get("balance").asLong();
            }
            assertThat(total).as("bank total after kill -9 (seed %d)", seed).isEqualTo(accounts * 1000L);
            System.out.printf("CrashDurabilityIT: %d batches attempted, %d acknowledged, %d present after restart; %d puts acknowledged%n",
                    attemptedBatches.size(), ackedBatches.size(), present, ackedPuts.size());
            assertThat(ackedBatches).as("the load acknowledged batches before the kill").isNotEmpty();
        }
    }

    private static String batchBody(String run, int id) {
        List<String> ops = new ArrayList<>();
        for (int k = 0; k < BATCH_SIZE; k++) {
            ops.add("{\"op\":\"put\",\"key\":\"" + run + "-batch-" + id + "-" + k + "\",\"value\":\"b" + id + "\"}");
        }
        Collections.shuffle(ops, new Random(id));
        return "[" + String.join(",", ops) + "]";
    }

    private int send(NodeProcess node, String method, String path, String body, String type)
            throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(node.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private HttpResponse<String> get(NodeProcess node, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(node.uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
