package io.quarkiverse.level2pc.transport;

import static io.quarkiverse.level2pc.transport.TransportFixtures.branch;
import static io.quarkiverse.level2pc.transport.TransportFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.node.Tracing;
import io.quarkiverse.level2pc.storage.MemoryStore;
import io.quarkiverse.level2pc.transport.TransportFixtures.ManualScheduler;
import io.quarkiverse.level2pc.transport.TransportFixtures.Served;

/**
 * A transaction's trace crosses to its peer: coordinator {@code a} commits with peer {@code b} through a
 * {@link PeerClient}, whose requests {@code b}'s {@link PeerEndpoint} handles (in process, no HTTP). The spans of
 * {@code a}'s transaction, its calls, and {@code b}'s handling of each call form one trace, each with the right parent.
 */
class TracingAcrossPeersTest {

    private static final String B = "http://b.test:8080";

    /** A span recorded by {@link Recording}: its ids, and the id of its parent ({@code null}: a root). */
    record Recorded(String name, String node, String traceId, String spanId, String parentSpanId, BranchId id, boolean[] ended) {
    }

    /** Records every span; its trace context is the W3C traceparent of made-up ids. */
    static final class Recording implements Tracing {
        final String node;
        final List<Recorded> spans;
        final AtomicLong ids;

        Recording(String node, List<Recorded> spans, AtomicLong ids) {
            this.node = node;
            this.spans = spans;
            this.ids = ids;
        }

        private Span start(String name, String traceId, String parent, BranchId id) {
            String spanId = String.format("%016x", ids.incrementAndGet());
            Recorded r = new Recorded(name, node, traceId, spanId, parent, id, new boolean[1]);
            spans.add(r);
            return new Span() {
                @Override
                public String traceparent() {
                    return "00-" + traceId + "-" + spanId + "-01";
                }

                @Override
                public void end(Throwable failure) {
                    r.ended()[0] = true;
                }
            };
        }

        @Override
        public Span transaction(Span parent, BranchId id, int peers, boolean external) {
            return start("transaction", String.format("%032x", ids.incrementAndGet()), null, id);
        }

        @Override
        public Span call(Span parent, String operation, String peer, BranchId id) {
            String tp = parent.traceparent();
            return start("call " + operation, tp.substring(3, 35), tp.substring(36, 52), id);
        }

        @Override
        public Span handling(String traceparent, String operation, String sender, BranchId id) {
            return start("handling " + operation + " from " + sender, traceparent.substring(3, 35), traceparent.substring(36, 52), id);
        }
    }

    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<Served> nodes = new ArrayList<>();
    private final List<Recorded> spans = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    @AfterEach
    void close() {
        nodes.forEach(Served::close);
    }

    @Test
    void theCoordinatorsTransactionItsCallsAndThePeersHandlingShareOneTrace() throws Exception {
        Served b = TransportFixtures.serve("b", new NodeStore(MemoryStore.immediate("b")), scheduler);
        nodes.add(b);
        PeerTransport toB = new PeerTransport() {
            @Override
            public PeerResponse send(URI peer, PeerRequest request) {
                return b.handle(request);
            }

            @Override
            public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
                return b.endpoint().handle(request);
            }
        };
        PeerClient client = new PeerClient(toB, "a", Runnable::run);
        Served a = TransportFixtures.serve("a", new NodeStore(MemoryStore.immediate("a")), client, scheduler);
        nodes.add(a);
        client.tracing(new Recording("a", spans, ids));
        a.node().coordinator().tracing(new Recording("a", spans, ids));
        b.endpoint().tracing(new Recording("b", spans, ids));

        BranchId id = branch("traced");
        a.node().coordinator().commit(id, write("a", "k", "v"), List.of(B)).get(30, TimeUnit.SECONDS);
        // the commit to b may finish just after the caller was answered (commit-peers-in-background)
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (spans.stream().filter(s -> s.ended()[0]).count() < 5 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }

        Recorded tx = only("transaction");
        Recorded prepare = only("call prepare");
        Recorded commit = only("call commit");
        Recorded handledPrepare = only("handling prepare from a");
        Recorded handledCommit = only("handling commit from a");
        assertThat(spans).extracting(Recorded::traceId).as("every span of the transaction, on both nodes").containsOnly(tx.traceId());
        assertThat(tx.parentSpanId()).isNull();
        assertThat(prepare.parentSpanId()).isEqualTo(tx.spanId());
        assertThat(commit.parentSpanId()).isEqualTo(tx.spanId());
        assertThat(handledPrepare.parentSpanId()).as("b's prepare is a child of a's call").isEqualTo(prepare.spanId());
        assertThat(handledCommit.parentSpanId()).isEqualTo(commit.spanId());
        assertThat(handledPrepare.node()).isEqualTo("b");
        assertThat(handledPrepare.id()).as("the branch b handled, read from the message").isEqualTo(id);
        assertThat(spans).allSatisfy(s -> assertThat(s.ended()[0]).as("%s ended", s.name()).isTrue());
    }

    private Recorded only(String name) {
        List<Recorded> named = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(named).as("spans named '%s' among %s", name, spans).hasSize(1);
        return named.get(0);
    }
}
