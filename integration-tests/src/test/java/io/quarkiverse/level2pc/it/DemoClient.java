package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The demo app's HTTP contract ({@code /kv}, {@code /bank}, health) through a plain JDK HTTP client,
 * against any {@link NodeProcess}. Every call returns a {@link Reply} with the client-side invocation
 * and response instants (for histories).
 */
final class DemoClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** One answer; {@code invokedNanos}/{@code returnedNanos} are {@link System#nanoTime()} instants. */
    record Reply(int status, String body, long invokedNanos, long returnedNanos) {

        long millis() {
            return (returnedNanos - invokedNanos) / 1_000_000;
        }

        JsonNode json() {
            return DemoClient.json(body);
        }

        /** The {@code error} field of a JSON error body, or {@code null}. */
        String error() {
            try {
                return JSON.readTree(body).path("error").asText(null);
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return status + " " + body + " (" + millis() + " ms)";
        }
    }

    /** One operation of {@code POST /kv/batch}. */
    record Op(String op, String key, String value) {
        static Op put(String key, String value) {
            return new Op("put", key, value);
        }

        static Op del(String key) {
            return new Op("del", key, null);
        }
    }

    private DemoClient() {
    }

    static Reply send(NodeProcess node, String method, String path, String body, String contentType, Duration timeout)
            throws IOException, InterruptedException {
        return send(node.uri(path), method, body == null ? null : body.getBytes(StandardCharsets.UTF_8), contentType, Map.of(),
                timeout);
    }

    static Reply send(java.net.URI uri, String method, byte[] body, String contentType, Map<String, String> headers,
            Duration timeout) throws IOException, InterruptedException {
        return send(HTTP, uri, method, body, contentType, headers, timeout);
    }

    /** {@link #send(java.net.URI, String, byte[], String, Map, Duration)} through a given client (its own connection pool). */
    static Reply send(HttpClient http, java.net.URI uri, String method, byte[] body, String contentType, Map<String, String> headers,
            Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        long t1 = System.nanoTime();
        return new Reply(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), t0, t1);
    }

    static Reply get(NodeProcess node, String path) throws IOException, InterruptedException {
        return send(node, "GET", path, null, null, TIMEOUT);
    }

    static Reply put(NodeProcess node, String key, String value) throws IOException, InterruptedException {
        return send(node, "PUT", "/kv/" + key, value, "text/plain", TIMEOUT);
    }

    static Reply read(NodeProcess node, String key) throws IOException, InterruptedException {
        return get(node, "/kv/" + key);
    }

    /** A value with its {@code ETag}, as {@code GET /kv/{key}} answers it; {@code null} for 404. */
    record Tagged(String value, String etag) {
    }

    static Tagged readTagged(NodeProcess node, String key) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(node.uri("/kv/" + key)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 404) {
            return null;
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET /kv/" + key + " on " + node.name + ": " + r.statusCode() + " " + r.body());
        }
        return new Tagged(r.body(), r.headers().firstValue("ETag").orElseThrow());
    }

    /** {@code PUT /kv/{key}} with {@code If-Match: etag}. */
    static Reply putIfMatch(NodeProcess node, String key, String value, String etag) throws IOException, InterruptedException {
        return send(node.uri("/kv/" + key), "PUT", value.getBytes(StandardCharsets.UTF_8), "text/plain", Map.of("If-Match", etag),
                TIMEOUT);
    }

    static Reply delete(NodeProcess node, String key) throws IOException, InterruptedException {
        return send(node, "DELETE", "/kv/" + key, null, null, TIMEOUT);
    }

    static Reply batch(NodeProcess node, List<Op> ops) throws IOException, InterruptedException {
        List<Map<String, String>> body = new ArrayList<>();
        for (Op op : ops) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("op", op.op());
            m.put("key", op.key());
            if (op.value() != null) {
                m.put("value", op.value());
            }
            body.add(m);
        }
        return send(node, "POST", "/kv/batch", JSON.writeValueAsString(body), "application/json", TIMEOUT);
    }

    /** {@code GET /kv?prefix=p}: the raw body (byte-comparable across nodes). */
    static Reply scanRaw(NodeProcess node, String prefix) throws IOException, InterruptedException {
        return get(node, prefix == null ? "/kv" : "/kv?prefix=" + prefix);
    }

    static Map<String, String> scan(NodeProcess node, String prefix) throws IOException, InterruptedException {
        return scanAll(HTTP, node, prefix, TIMEOUT);
    }

    /** A page of {@link #scanAll}: at most this many entries (what one {@code GET /kv} answers at most). */
    static final int SCAN_PAGE = 1000;

    /**
     * Every entry under {@code prefix} ({@code null}: all), in key order, paged through
     * {@code GET /kv?limit=1000&after=<last key>} (one {@code GET /kv} answers at most 1,000 entries).
     */
    static LinkedHashMap<String, String> scanAll(HttpClient http, NodeProcess node, String prefix, Duration timeout)
            throws IOException, InterruptedException {
        LinkedHashMap<String, String> all = new LinkedHashMap<>();
        String after = null;
        while (true) {
            String query = "limit=" + SCAN_PAGE + (prefix == null ? "" : "&prefix=" + encode(prefix))
                    + (after == null ? "" : "&after=" + encode(after));
            Reply r = send(http, node.uri("/kv?" + query), "GET", null, null, Map.of(), timeout);
            if (r.status() != 200) {
                throw new IllegalStateException("scan of '" + prefix + "' on " + node.name + " answered " + r);
            }
            LinkedHashMap<String, String> page = JSON.readValue(r.body(), new TypeReference<LinkedHashMap<String, String>>() {
            });
            all.putAll(page);
            if (page.size() < SCAN_PAGE) {
                return all;
            }
            after = page.keySet().stream().reduce((first, second) -> second).orElseThrow();
        }
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    static Reply openAccount(NodeProcess node, String id, long balance) throws IOException, InterruptedException {
        return send(node, "PUT", "/bank/accounts/" + id, "{\"balance\":" + balance + "}", "application/json", TIMEOUT);
    }

    /** The balance of {@code id}, or {@code null} if the node has no such account. */
    static Long balance(NodeProcess node, String id) throws IOException, InterruptedException {
        Reply r = get(node, "/bank/accounts/" + id);
        if (r.status() == 404) {
            return null;
        }
        if (r.status() != 200) {
            throw new AssertionError("GET /bank/accounts/" + id + " on " + node.name + " answered " + r);
        }
        return r.json().get("balance").asLong();
    }

    static Reply transfer(NodeProcess node, String from, String to, long amount) throws IOException, InterruptedException {
        return send(node, "POST", "/bank/transfer",
                "{\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"amount\":" + amount + "}", "application/json", TIMEOUT);
    }

    /** The health group that is UP while a node takes writes (readiness only says that it serves reads). */
    static final String WRITES_HEALTH = "/q/health/group/level-2pc-writes";

    /** {@code GET /q/health/group/level-2pc-writes}: status and the {@code level-2pc-writes} check. */
    static Reply writesHealth(NodeProcess node) throws IOException, InterruptedException {
        return send(node, "GET", WRITES_HEALTH, null, null, Duration.ofSeconds(10));
    }

    /** {@code GET /q/health/ready}: status and the {@code level-2pc} check (UP while the node serves reads). */
    static Reply readiness(NodeProcess node) throws IOException, InterruptedException {
        return send(node, "GET", "/q/health/ready", null, null, Duration.ofSeconds(10));
    }

    /** The {@code level-2pc} or {@code level-2pc-writes} check of a health answer ({@code status}, {@code data}). */
    static JsonNode level2pcCheck(Reply readiness) {
        for (JsonNode c : readiness.json().path("checks")) {
            if (c.path("name").asText().startsWith("level-2pc")) {
                return c;
            }
        }
        throw new AssertionError("no level-2pc check in " + readiness.body());
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
