package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkiverse.level2pc.it.DemoClient.Op;

/**
 * The demo's change feed ({@code GET /kv/changes?prefix=}, Server-Sent Events) across a 3-node cluster: a node's
 * stream carries the changes of writes made through every node, each once, in commit order per key, with the
 * versions reads give, and nothing outside its prefix; after a node is killed and restarted, the streams of the
 * others carry the writes made through it, and its own new stream carries the writes made elsewhere.
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class ChangeFeedIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static ClusterProcesses cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterProcesses.start("changes");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One event of a stream: its name and its data, parsed. */
    record Event(String name, JsonNode data) {
        String key() {
            return data.get("key").asText();
        }

        String brief() {
            return name + " " + key() + (data.has("value") ? "=" + data.get("value").asText() : "");
        }
    }

    /** An open SSE stream, read on its own thread into a queue. */
    static final class SseStream implements AutoCloseable {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final java.util.stream.Stream<String> lines;
        private final Thread reader;

        SseStream(NodeProcess node, String prefix) throws Exception {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest req = HttpRequest.newBuilder(node.uri("/kv/changes?prefix=" + prefix)).header("Accept", "text/event-stream")
                    .GET().build();
            HttpResponse<java.util.stream.Stream<String>> r = http.sendAsync(req, HttpResponse.BodyHandlers.ofLines())
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            lines = r.body();
            reader = new Thread(() -> {
                String name = null;
                StringBuilder data = new StringBuilder();
                try {
                    for (String line : (Iterable<String>) lines::iterator) {
                        // the contract's form exactly: "event: put", "data: {...}"
                        if (line.startsWith("event: ")) {
                            name = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            data.append(line.substring(6));
                        } else if (line.isEmpty() && data.length() > 0) {
                            events.add(new Event(name, DemoClient.json(data.toString())));
                            name = null;
                            data.setLength(0);
                        }
                    }
                } catch (RuntimeException e) {
                    // the stream was closed
                }
            }, "sse-" + node.name);
            reader.setDaemon(true);
            reader.start();
        }

        /** The events that arrive until one for each of {@code lastKeys} with value {@code "end"} has. */
        List<Event> until(List<String> lastKeys) throws InterruptedException {
            List<Event> got = new ArrayList<>();
            List<String> waiting = new ArrayList<>(lastKeys);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!waiting.isEmpty()) {
                Event e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertThat(e).as("events so far %s, still waiting for the end of %s", got, waiting).isNotNull();
                got.add(e);
                if ("end".equals(e.data().path("value").asText(null))) {
                    waiting.remove(e.key());
                }
            }
            return got;
        }

        @Override
        public void close() {
            lines.close();
        }
    }

    private static List<String> ofKey(List<Event> events, String key) {
        return events.stream().filter(e -> e.key().equals(key)).map(Event::brief).collect(Collectors.toList());
    }

    @Test
    void everyNodeStreamsTheChangesOfWritesMadeThroughAnyNodeAlsoAcrossARestart() throws Exception {
        String p = "feed" + UUID.randomUUID().toString().substring(0, 8) + "-";
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);
        String k1 = p + "k1";
        String k2 = p + "k2";
        try (SseStream onB = new SseStream(b, p)) {
            assertThat(DemoClient.put(a, k1, "1").status()).isEqualTo(204);
            assertThat(DemoClient.put(c, k1, "2").status()).isEqualTo(204);
            assertThat(DemoClient.put(b, k2, "x").status()).isEqualTo(204);
            assertThat(DemoClient.put(a, "other" + p, "not in the prefix").status()).isEqualTo(204);
            assertThat(DemoClient.delete(a, k1).status()).isEqualTo(204);
            assertThat(DemoClient.batch(c, List.of(Op.put(k1, "end"), Op.put(k2, "end"))).status()).isEqualTo(204);
            List<Event> got = onB.until(List.of(k1, k2));
            assertThat(ofKey(got, k1)).containsExactly("put " + k1 + "=1", "put " + k1 + "=2", "del " + k1, "put " + k1 + "=end");
            assertThat(ofKey(got, k2)).containsExactly("put " + k2 + "=x", "put " + k2 + "=end");
            assertThat(got).hasSize(6).allMatch(e -> e.key().startsWith(p));
            Event last = got.get(got.size() - 1);
            assertThat(last.data().get("version").asText()).as("the version a read shows, as its ETag")
                    .isEqualTo(DemoClient.readTagged(b, last.key()).etag().replace("\"", ""));

            // c is killed and comes back: b's stream goes on, and carries writes made through c
            cluster.kill(2);
            cluster.restart(2);
            assertThat(DemoClient.put(c, k1, "after restart").status()).isEqualTo(204);
            assertThat(DemoClient.put(c, k1, "end").status()).isEqualTo(204);
            assertThat(ofKey(onB.until(List.of(k1)), k1)).containsExactly("put " + k1 + "=after restart", "put " + k1 + "=end");
        }
        // the restarted node streams the writes made elsewhere
        try (SseStream onC = new SseStream(c, p)) {
            assertThat(DemoClient.delete(a, k2).status()).isEqualTo(204);
            assertThat(DemoClient.put(b, k2, "end").status()).isEqualTo(204);
            assertThat(ofKey(onC.until(List.of(k2)), k2)).containsExactly("del " + k2, "put " + k2 + "=end");
        }
    }
}
