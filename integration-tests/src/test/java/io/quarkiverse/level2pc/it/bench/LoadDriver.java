package io.quarkiverse.level2pc.it.bench;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * Closed-loop HTTP clients: each client has one keep-alive connection to one node (or etcd member) and
 * sends its next request as soon as the previous answer is read. Client {@code i} talks to node
 * {@code i mod n}, so the clients are spread round robin over the nodes. The requests are the target
 * kind's ({@link HttpOp#of(Target.Kind, Op)}).
 * <p>
 * All clients run on a single Vert.x event loop thread: asynchronous I/O costs the least CPU per
 * request, and the load generator shares the machine with the nodes.
 */
final class LoadDriver implements AutoCloseable {

    /** A request that takes longer is abandoned and counted as an error. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
            .setInternalBlockingPoolSize(1));

    CellResult run(Target target, List<URI> nodes, Workload workload, int clients, Keyspace space, long seed,
            Duration warmup, Duration duration) throws InterruptedException {
        return run(target, nodes, workload, clients, space, seed, warmup, duration, null);
    }

    /**
     * @param nodesCpuNanos the CPU time the nodes have used so far (sampled at the start and the end of
     *        the measured window), or {@code null}
     */
    CellResult run(Target target, List<URI> nodes, Workload workload, int clients, Keyspace space, long seed,
            Duration warmup, Duration duration, java.util.function.LongSupplier nodesCpuNanos) throws InterruptedException {
        long start = System.nanoTime();
        long windowStart = start + warmup.toNanos();
        long windowEnd = windowStart + duration.toNanos();
        CountDownLatch finished = new CountDownLatch(clients);
        List<Client> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            URI node = nodes.get(i % nodes.size());
            all.add(new Client(target.kind(), node, new OpSource(workload, space, seed, clients, i),
                    new Recorder(windowStart, windowEnd), windowEnd, finished));
        }
        all.forEach(c -> vertx.runOnContext(v -> c.next()));
        long cpuNanos = -1;
        if (nodesCpuNanos != null) {
            // Sampling times, not synchronisation: the window is defined by the clock.
            java.util.concurrent.locks.LockSupport.parkNanos(windowStart - System.nanoTime());
            long before = nodesCpuNanos.getAsLong();
            java.util.concurrent.locks.LockSupport.parkNanos(windowEnd - System.nanoTime());
            cpuNanos = nodesCpuNanos.getAsLong() - before;
        }
        long waitMillis = (windowEnd - System.nanoTime()) / 1_000_000 + REQUEST_TIMEOUT.toMillis() + 10_000;
        boolean done = finished.await(waitMillis, TimeUnit.MILLISECONDS);
        // a client that never got its last answer is an error (its own recorder belongs to the event loop)
        Recorder stuck = new Recorder(windowStart, windowEnd);
        List<Future<Void>> closing = new ArrayList<>();
        for (Client c : all) {
            if (!done && !c.stopped) {
                stuck.error(System.nanoTime(), "no answer " + REQUEST_TIMEOUT.toSeconds() + " s after the window");
            }
            closing.add(c.http.close());
        }
        Future.join(closing).toCompletionStage().toCompletableFuture().join();
        List<Recorder> recorders = new ArrayList<>(all.stream().map(c -> c.recorder).toList());
        recorders.add(stuck);
        return CellResult.merge(target, workload, clients, duration, recorders).withCpuNanos(cpuNanos);
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** One closed-loop client; every method runs on the event loop. */
    private final class Client {
        final Target.Kind kind;
        final String host;
        final int port;
        final OpSource ops;
        final Recorder recorder;
        final long stopAt;
        final CountDownLatch finished;
        final HttpClient http;
        volatile boolean stopped;

        Client(Target.Kind kind, URI node, OpSource ops, Recorder recorder, long stopAt, CountDownLatch finished) {
            this.kind = kind;
            this.host = node.getHost();
            this.port = node.getPort();
            this.ops = ops;
            this.recorder = recorder;
            this.stopAt = stopAt;
            this.finished = finished;
            this.http = vertx.createHttpClient(new HttpClientOptions()
                    .setKeepAlive(true)
                    .setPipelining(false)
                    .setTcpNoDelay(true)
                    .setConnectTimeout(5_000),
                    new PoolOptions().setHttp1MaxSize(1));
        }

        void next() {
            if (System.nanoTime() >= stopAt) {
                stopped = true;
                finished.countDown();
                return;
            }
            HttpOp op = HttpOp.of(kind, ops.next());
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.valueOf(op.method()))
                    .setHost(host)
                    .setPort(port)
                    .setURI(op.path())
                    .setIdleTimeout(REQUEST_TIMEOUT.toMillis());
            if (op.contentType() != null) {
                options.putHeader("Content-Type", op.contentType());
            }
            long t0 = System.nanoTime();
            http.request(options)
                    .compose(req -> op.body() == null ? req.send() : req.send(Buffer.buffer(op.body())))
                    .compose(resp -> resp.body().map(body -> {
                        long t1 = System.nanoTime();
                        int status = resp.statusCode();
                        String answer = op.mustContain() == null && status < 300 ? null : body.toString();
                        switch (op.outcome(status, answer)) {
                            case OK -> recorder.ok(t0, t1);
                            case CONFLICT -> recorder.conflict(t0, t1);
                            case ERROR -> recorder.error(t1, op.errorKindOf(status, answer));
                        }
                        return status;
                    }))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            recorder.error(System.nanoTime(), Recorder.errorKind(ar.cause()));
                        }
                        next();
                    });
        }
    }
}
