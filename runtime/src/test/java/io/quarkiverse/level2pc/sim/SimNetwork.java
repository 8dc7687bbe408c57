package io.quarkiverse.level2pc.sim;

import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;

/**
 * The simulated network between the nodes: every request and every answer is a message that can be lost,
 * delayed (so messages overtake each other), duplicated (a request delivered twice, the second answer
 * ignored), or cut by a partition (one direction or both). A request to a node that is down is refused at
 * once (connection refused); one that is lost, or whose answer is lost, fails when its request timeout
 * passes, as over TCP. Decisions are drawn from the run's seeded random source, in the order messages are
 * sent.
 */
final class SimNetwork {

    /** The message faults in force. */
    record Faults(double dropRequest, double dropResponse, double duplicate, long minDelayMicros, long maxDelayMicros) {
        static final Faults NONE = new Faults(0, 0, 0, 50, 300);
    }

    private final SimScheduler scheduler;
    private final Random random;
    private final Trace trace;
    private final long timeoutNanos;
    private final Map<String, SimNode> nodes = new HashMap<>();
    private final Set<String> cuts = new HashSet<>();
    private Faults faults = Faults.NONE;
    private long messages;
    private Interceptor interceptor = (from, to, request) -> true;

    /** A scripted scenario's hook on every request sent: return false to lose it (it may also act, e.g. crash a node). */
    @FunctionalInterface
    interface Interceptor {
        boolean deliver(SimNode from, SimNode to, PeerRequest request);
    }

    void intercept(Interceptor i) {
        this.interceptor = i;
    }

    /** A scripted scenario's hook on every request sent: how many milliseconds to hold it back on top of its delay. */
    @FunctionalInterface
    interface Delayer {
        long extraMillis(SimNode from, SimNode to, PeerRequest request);
    }

    private Delayer delayer = (from, to, request) -> 0;

    /** Request timeouts that differ from the default, by operation (e.g. a transport whose prepares wait longer). */
    private final Map<String, Long> timeoutsByOperation = new HashMap<>();

    /**
     * Requests of {@code operation} sent from now on fail after {@code millis} without an answer, instead of the
     * default request timeout: a peer transport with a longer call timeout for them.
     */
    void timeout(String operation, long millis) {
        timeoutsByOperation.put(operation, TimeUnit.MILLISECONDS.toNanos(millis));
    }

    void delay(Delayer d) {
        this.delayer = d;
    }

    SimNetwork(SimScheduler scheduler, Random random, Trace trace, long timeoutMillis) {
        this.scheduler = scheduler;
        this.random = random;
        this.trace = trace;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    void attach(SimNode node) {
        nodes.put(node.address, node);
    }

    void faults(Faults f) {
        this.faults = f;
    }

    /** Messages from {@code from} to {@code to} are lost from now on. */
    void cut(SimNode from, SimNode to) {
        cuts.add(from.address + ">" + to.address);
    }

    void uncut(SimNode from, SimNode to) {
        cuts.remove(from.address + ">" + to.address);
    }

    void heal() {
        cuts.clear();
        faults = Faults.NONE;
    }

    long messages() {
        return messages;
    }

    private boolean isCut(String from, String to) {
        return cuts.contains(from + ">" + to);
    }

    private long delay() {
        long span = faults.maxDelayMicros() - faults.minDelayMicros();
        return TimeUnit.MICROSECONDS.toNanos(faults.minDelayMicros() + (span <= 0 ? 0 : (long) (random.nextDouble() * span)));
    }

    /** The transport node {@code from} sends through. */
    PeerTransport transportOf(SimNode from) {
        return new PeerTransport() {
            @Override
            public PeerResponse send(URI peer, PeerRequest request) {
                throw new UnsupportedOperationException("the simulation has no blocking calls");
            }

            @Override
            public CompletableFuture<PeerResponse> sendAsync(URI peer, PeerRequest request, Executor executor) {
                return deliver(from, peer.toString(), request);
            }
        };
    }

    private CompletableFuture<PeerResponse> deliver(SimNode from, String to, PeerRequest request) {
        long id = ++messages;
        // Heartbeats are left out of the trace (they would be most of it), their faults are not.
        Trace trace = PeerProtocol.HELLO.equals(request.operation()) ? Trace.OFF : this.trace;
        int incarnation = from.incarnation();
        CompletableFuture<PeerResponse> answer = new CompletableFuture<>();
        scheduler.at(timeoutsByOperation.getOrDefault(request.operation(), timeoutNanos), () -> answer.completeExceptionally(new PeerUnavailableException("peer " + to + " did not answer "
                + request.operation() + " within the request timeout (simulated #" + id + ")")));
        SimNode target = nodes.get(to);
        if (!interceptor.deliver(from, target, request) || isCut(from.address, to) || random.nextDouble() < faults.dropRequest()) {
            trace.log("%s->%s %s #%d lost", from.name, target.name, request.operation(), id);
            return answer;
        }
        int copies = random.nextDouble() < faults.duplicate() ? 2 : 1;
        long extra = TimeUnit.MILLISECONDS.toNanos(delayer.extraMillis(from, target, request));
        if (extra > 0) {
            trace.log("%s->%s %s #%d held back %d ms", from.name, target.name, request.operation(), id,
                    TimeUnit.NANOSECONDS.toMillis(extra));
        }
        for (int c = 0; c < copies; c++) {
            int copy = c;
            scheduler.at(delay() + extra, () -> arrive(from, incarnation, target, request, id, copy, answer));
        }
        return answer;
    }

    private void arrive(SimNode from, int incarnation, SimNode target, PeerRequest request, long id, int copy,
            CompletableFuture<PeerResponse> answer) {
        Trace trace = PeerProtocol.HELLO.equals(request.operation()) ? Trace.OFF : this.trace;
        if (!target.isUp()) {
            trace.log("%s->%s %s #%d refused: %s is down", from.name, target.name, request.operation(), id, target.name);
            scheduler.at(delay(), () -> answer.completeExceptionally(new PeerUnavailableException("peer " + target.address
                    + " is unreachable (" + request.operation() + "): connection refused (simulated)")));
            return;
        }
        trace.log("%s->%s %s #%d%s", from.name, target.name, request.operation(), id, copy > 0 ? " (duplicate)" : "");
        target.endpoint().handle(request).whenComplete((r, e) -> {
            if (e != null || isCut(target.address, from.address) || random.nextDouble() < faults.dropResponse()) {
                trace.log("%s->%s answer to #%d lost", target.name, from.name, id);
                return;
            }
            scheduler.at(delay(), () -> {
                if (from.incarnation() == incarnation && from.isUp()) {
                    trace.log("%s<-%s #%d %d %s", from.name, target.name, id, r.status(), brief(r));
                    answer.complete(r);
                }
            });
        });
    }

    private static String brief(PeerResponse r) {
        if (r.status() == 200 && r.body().length > 0 && r.body().length < 16 && r.body()[0] >= 'A' && r.body()[0] <= 'Z') {
            return r.bodyText();
        }
        return r.status() == 200 ? "(" + r.body().length + " bytes)" : r.bodyText();
    }
}
