package io.quarkiverse.level2pc.it.bench;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An {@link Op} as an HTTP request of a target: the demo application's contract ({@link #of(Op)}) or
 * etcd's JSON gateway ({@link #etcd(Op)}).
 *
 * @param mustContain text a 2xx answer must contain to count as done ({@code null}: any 2xx), e.g. the
 *        {@code kvs} of an etcd range, which answers 200 without them when the key is missing
 */
record HttpOp(String method, String path, byte[] body, String contentType, String mustContain) {

    static final String TEXT = "text/plain";
    static final String JSON = "application/json";
    static final String ETCD_KVS = "\"kvs\"";

    HttpOp(String method, String path, byte[] body, String contentType) {
        this(method, path, body, contentType, null);
    }

    /** The request for {@code op} on a target of this kind (not the local LevelDB, which has no HTTP). */
    static HttpOp of(Target.Kind kind, Op op) {
        return switch (kind) {
            case NODES -> of(op);
            case ETCD -> etcd(op);
            case LOCAL_LEVELDB -> throw new IllegalArgumentException("the local LevelDB has no HTTP form");
        };
    }

    /** The demo application's request. */
    static HttpOp of(Op op) {
        if (op instanceof Op.Put p) {
            return new HttpOp("PUT", "/kv/" + p.key(), p.value().bytes(), TEXT);
        }
        if (op instanceof Op.Batch b) {
            StringBuilder json = new StringBuilder(b.puts().size() * (b.puts().get(0).value().bytes().length + 40) + 2);
            json.append('[');
            for (Op.Put p : b.puts()) {
                if (json.length() > 1) {
                    json.append(',');
                }
                // keys and values are ASCII letters and digits: nothing to escape
                json.append("{\"op\":\"put\",\"key\":\"").append(p.key()).append("\",\"value\":\"").append(p.value().text())
                        .append("\"}");
            }
            json.append(']');
            return new HttpOp("POST", "/kv/batch", ascii(json), JSON);
        }
        if (op instanceof Op.Get g) {
            return new HttpOp("GET", "/kv/" + g.key(), null, null);
        }
        if (op instanceof Op.Transfer t) {
            String json = "{\"from\":\"" + t.from() + "\",\"to\":\"" + t.to() + "\",\"amount\":" + t.amount() + "}";
            return new HttpOp("POST", "/bank/transfer", ascii(json), JSON);
        }
        if (op instanceof Op.Ping) {
            return new HttpOp("GET", "/ping", null, null);
        }
        throw new IllegalArgumentException("no HTTP form for " + op);
    }

    /**
     * etcd 3.4's JSON gateway (keys and values base64): a put is {@code POST /v3/kv/put}, a batch one
     * {@code POST /v3/kv/txn} of its puts without compare, a get a linearizable {@code POST /v3/kv/range},
     * a ping {@code GET /version} (a constant answer of the member's HTTP server, no raft, no store). A
     * bank transfer has no counterpart.
     */
    static HttpOp etcd(Op op) {
        if (op instanceof Op.Put p) {
            return new HttpOp("POST", "/v3/kv/put", ascii(keyValue(new StringBuilder(), p)), JSON);
        }
        if (op instanceof Op.Batch b) {
            StringBuilder json = new StringBuilder("{\"success\":[");
            for (Op.Put p : b.puts()) {
                if (json.charAt(json.length() - 1) != '[') {
                    json.append(',');
                }
                json.append("{\"requestPut\":");
                keyValue(json, p);
                json.append('}');
            }
            json.append("]}");
            return new HttpOp("POST", "/v3/kv/txn", ascii(json), JSON);
        }
        if (op instanceof Op.Get g) {
            return new HttpOp("POST", "/v3/kv/range", ascii("{\"key\":\"" + base64(g.key().getBytes(StandardCharsets.UTF_8))
                    + "\"}"), JSON, ETCD_KVS);
        }
        if (op instanceof Op.Ping) {
            return new HttpOp("GET", "/version", null, null);
        }
        throw new IllegalArgumentException("no etcd form for " + op);
    }

    private static StringBuilder keyValue(StringBuilder json, Op.Put p) {
        return json.append("{\"key\":\"").append(base64(p.key().getBytes(StandardCharsets.UTF_8))).append("\",\"value\":\"")
                .append(base64(p.value().bytes())).append("\"}");
    }

    private static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static byte[] ascii(CharSequence s) {
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** What an answer means: 2xx done, 409 a conflict (the transaction was rolled back), anything else an error. */
    enum Outcome {
        OK,
        CONFLICT,
        ERROR
    }

    static Outcome outcome(int status) {
        if (status >= 200 && status < 300) {
            return Outcome.OK;
        }
        return status == 409 ? Outcome.CONFLICT : Outcome.ERROR;
    }

    /** {@link #outcome(int)}, and an error for a 2xx without {@link #mustContain}. */
    Outcome outcome(int status, String answer) {
        Outcome o = outcome(status);
        return o == Outcome.OK && mustContain != null && (answer == null || !answer.contains(mustContain)) ? Outcome.ERROR : o;
    }

    /** {@link #errorKind(int, String)}, naming a 2xx without {@link #mustContain}. */
    String errorKindOf(int status, String answer) {
        return outcome(status) == Outcome.OK ? "HTTP " + status + " without " + mustContain + " (key missing)"
                : errorKind(status, answer);
    }

    /** A short name for an error answer: status and the {@code error} field of the JSON error body (demo or etcd). */
    static String errorKind(int status, String body) {
        String error = null;
        if (body != null) {
            int i = body.indexOf("\"error\":\"");
            if (i >= 0) {
                int from = i + 9;
                int to = body.indexOf('"', from);
                error = to > from ? body.substring(from, to) : null;
            }
        }
        return "HTTP " + status + (error == null ? "" : " " + error);
    }
}
