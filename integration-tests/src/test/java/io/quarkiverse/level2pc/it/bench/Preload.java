package io.quarkiverse.level2pc.it.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fills a freshly started cluster before its cells run: every key of the key space (in batches of
 * {@value #KEYS_PER_BATCH}, through {@code POST /kv/batch} of the demo or, on etcd, a
 * {@code POST /v3/kv/txn} of the puts) and every bank account (demo only, through
 * {@code PUT /bank/accounts/{id}}), spread over the nodes. Anything but the expected answer (204 from
 * the demo, 200 from etcd) aborts the benchmark: a workload on a half-filled cluster would measure
 * something else.
 */
final class Preload {

    static final int KEYS_PER_BATCH = 100;
    private static final int PARALLEL = 8;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Target.Kind kind;
    private final List<URI> nodes;

    /** Preloads the demo's nodes. */
    Preload(List<URI> nodes) {
        this(Target.Kind.NODES, nodes);
    }

    Preload(Target.Kind kind, List<URI> nodes) {
        this.kind = kind;
        this.nodes = nodes;
    }

    void keys(Keyspace space) throws Exception {
        List<HttpRequest> requests = new ArrayList<>();
        for (int from = 0; from < space.keys; from += KEYS_PER_BATCH) {
            List<Op.Put> puts = new ArrayList<>();
            for (int i = from; i < Math.min(space.keys, from + KEYS_PER_BATCH); i++) {
                puts.add(new Op.Put(Keyspace.key(i), space.value(i)));
            }
            requests.add(request(requests.size(), HttpOp.of(kind, new Op.Batch(puts))));
        }
        sendAll(requests);
    }

    void accounts(Keyspace space) throws Exception {
        if (kind != Target.Kind.NODES) {
            throw new IllegalStateException("bank accounts exist on the demo's nodes only");
        }
        List<HttpRequest> requests = new ArrayList<>();
        for (int i = 0; i < space.accounts; i++) {
            byte[] body = ("{\"balance\":" + Keyspace.INITIAL_BALANCE + "}").getBytes(StandardCharsets.US_ASCII);
            requests.add(request(i, new HttpOp("PUT", "/bank/accounts/" + Keyspace.account(i), body, HttpOp.JSON)));
        }
        sendAll(requests);
    }

    private HttpRequest request(int index, HttpOp op) {
        return HttpRequest.newBuilder(nodes.get(index % nodes.size()).resolve(op.path()))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", op.contentType())
                .method(op.method(), HttpRequest.BodyPublishers.ofByteArray(op.body()))
                .build();
    }

    private void sendAll(List<HttpRequest> requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (HttpRequest r : requests) {
                done.add(pool.submit(() -> {
                    HttpResponse<String> answer = http.send(r, HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() != (kind == Target.Kind.ETCD ? 200 : 204)) {
                        throw new IOException("preload: " + r.method() + " " + r.uri() + " answered " + answer.statusCode()
                                + " " + answer.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
