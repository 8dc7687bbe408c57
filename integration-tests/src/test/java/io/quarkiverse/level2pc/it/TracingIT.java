package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.quarkiverse.level2pc.it.DemoClient.Reply;

/**
 * OpenTelemetry across three real nodes: a client's request with a W3C {@code traceparent} to node {@code a} gives one
 * trace in which {@code a}'s write, transaction and peer calls, and {@code b}'s and {@code c}'s handling of those
 * calls, each have the right parent. The demo logs every finished span ({@code kv-demo.log-spans}, see its
 * {@code SpanLog}); the test reads the nodes' logs. Also checks that the peer protocol's HTTP requests make no spans of
 * their own (heartbeats would make a trace a second).
 */
@ExtendWith(ClusterProcesses.LogsOnFailure.class)
class TracingIT {

    private static final Pattern SPAN = Pattern.compile("span '([^']*)' trace=(\\w+) span=(\\w+) parent=(\\w+) kind=(\\w+) status=(\\w+)");

    private static ClusterProcesses cluster;

    /** A span as logged by a node. */
    record Span(String node, String name, String trace, String id, String parent, String kind, String status) {
    }

    @BeforeAll
    static void start() throws IOException {
        cluster = ClusterProcesses.start("tracing", 3, Map.of(
                "quarkus.otel.sdk.disabled", "false",
                "kv-demo.log-spans", "true",
                // export within 50 ms of a span's end; nothing listens for OTLP here (its failures are only logged)
                "quarkus.otel.bsp.schedule.delay", "50ms"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWriteOnOneNodeIsOneTraceAcrossAllThree() throws Exception {
        NodeProcess a = cluster.node(0);
        String trace = randomHex(16);
        String clientSpan = randomHex(8);
        Reply put = DemoClient.send(a.uri("/kv/traced"), "PUT", "v".getBytes(StandardCharsets.UTF_8), "text/plain",
                Map.of("traceparent", "00-" + trace + "-" + clientSpan + "-01"), Duration.ofSeconds(10));
        assertThat(put.status()).as("PUT: %s", put).isEqualTo(204);

        List<Span> spans = awaitSpans(trace, 11);
        Map<String, List<Span>> byNode = spans.stream().collect(Collectors.groupingBy(Span::node));
        Span server = one(byNode.get("a"), "PUT /kv/{key}");
        assertThat(server.parent()).as("the REST span continues the client's trace").isEqualTo(clientSpan);
        Span write = one(byNode.get("a"), "level-2pc write");
        assertThat(write.parent()).isEqualTo(server.id());
        Span tx = one(byNode.get("a"), "level-2pc transaction");
        assertThat(tx.parent()).isEqualTo(write.id());
        List<Span> prepares = named(byNode.get("a"), "level-2pc prepare");
        List<Span> commits = named(byNode.get("a"), "level-2pc commit");
        assertThat(prepares).as("a's prepare calls, one per peer").hasSize(2).allSatisfy(s -> {
            assertThat(s.parent()).isEqualTo(tx.id());
            assertThat(s.kind()).isEqualTo("CLIENT");
        });
        assertThat(commits).as("a's commit calls, one per peer").hasSize(2).allSatisfy(s -> assertThat(s.parent()).isEqualTo(tx.id()));
        Set<String> prepareCalls = prepares.stream().map(Span::id).collect(Collectors.toSet());
        Set<String> commitCalls = commits.stream().map(Span::id).collect(Collectors.toSet());
        Set<String> preparedFrom = new java.util.HashSet<>();
        for (String peer : List.of("b", "c")) {
            Span prepared = one(byNode.get(peer), "level-2pc participant prepare");
            Span committed = one(byNode.get(peer), "level-2pc participant commit");
            assertThat(prepared.kind()).isEqualTo("SERVER");
            assertThat(prepared.parent()).as("%s's prepare is a child of one of a's prepare calls", peer).isIn(prepareCalls);
            assertThat(committed.parent()).as("%s's commit is a child of one of a's commit calls", peer).isIn(commitCalls);
            preparedFrom.add(prepared.parent());
        }
        assertThat(preparedFrom).as("b and c were called by different calls").hasSize(2);
        assertThat(spans).extracting(Span::status).as("no span of a committed write failed").doesNotContain("ERROR");

        for (NodeProcess n : cluster.nodes()) {
            assertThat(n.logText()).as("spans of the peer protocol's HTTP requests on %s", n.name)
                    .doesNotContain("/level-2pc/peer/").doesNotContain("span 'POST'");
        }
    }

    @Test
    void aBankTransferIsOneTraceToo() throws Exception {
        NodeProcess b = cluster.node(1);
        assertThat(DemoClient.openAccount(b, "trace-from", 100).status()).isEqualTo(204);
        assertThat(DemoClient.openAccount(b, "trace-to", 0).status()).isEqualTo(204);
        String trace = randomHex(16);
        Reply transfer = DemoClient.send(b.uri("/bank/transfer"), "POST",
                "{\"from\":\"trace-from\",\"to\":\"trace-to\",\"amount\":5}".getBytes(StandardCharsets.UTF_8), "application/json",
                Map.of("traceparent", "00-" + trace + "-" + randomHex(8) + "-01"), Duration.ofSeconds(10));
        assertThat(transfer.status()).as("transfer: %s", transfer).isEqualTo(200);

        List<Span> spans = awaitSpans(trace, 7);
        Map<String, List<Span>> byNode = spans.stream().collect(Collectors.groupingBy(Span::node));
        Span tx = one(byNode.get("b"), "level-2pc transaction");
        assertThat(named(byNode.get("b"), "level-2pc prepare")).hasSize(2).allSatisfy(s -> assertThat(s.parent()).isEqualTo(tx.id()));
        for (String peer : List.of("a", "c")) {
            assertThat(named(byNode.get(peer), "level-2pc participant prepare")).as("on %s", peer).hasSize(1);
            assertThat(named(byNode.get(peer), "level-2pc participant commit")).as("on %s", peer).hasSize(1);
        }
    }

    /** Waits until the nodes' logs hold at least {@code count} spans of {@code trace}, and returns them. */
    private static List<Span> awaitSpans(String trace, int count) {
        List<Span> found = new ArrayList<>();
        Awaitility.await(count + " spans of trace " + trace + " in the nodes' logs").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    found.clear();
                    for (NodeProcess n : cluster.nodes()) {
                        Matcher m = SPAN.matcher(n.logText());
                        while (m.find()) {
                            if (m.group(2).equals(trace)) {
                                found.add(new Span(n.name, m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)));
                            }
                        }
                    }
                    return found.size() >= count;
                });
        System.out.println("TracingIT: trace " + trace + ": " + found);
        return List.copyOf(found);
    }

    private static List<Span> named(List<Span> spans, String name) {
        assertThat(spans).as("spans of a node").isNotNull();
        return spans.stream().filter(s -> s.name().equals(name)).toList();
    }

    private static Span one(List<Span> spans, String name) {
        List<Span> n = named(spans, name);
        assertThat(n).as("spans named '%s' in %s", name, spans).hasSize(1);
        return n.get(0);
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1; // never all zero
        return HexFormat.of().formatHex(b);
    }
}
