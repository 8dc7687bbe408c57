package io.quarkiverse.level2pc.it.bench;

import java.nio.charset.StandardCharsets;

/** An {@link Op} as a request of the demo application's HTTP contract. */
record HttpOp(String method, String path, byte[] body, String contentType) {

    static final String TEXT = "text/plain";
    static final String JSON = "application/json";

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
            return new HttpOp("POST", "/kv/batch", json.toString().getBytes(StandardCharsets.US_ASCII), JSON);
        }
        if (op instanceof Op.Get g) {
            return new HttpOp("GET", "/kv/" + g.key(), null, null);
        }
        if (op instanceof Op.Transfer t) {
            String json = "{\"from\":\"" + t.from() + "\",\"to\":\"" + t.to() + "\",\"amount\":" + t.amount() + "}";
            return new HttpOp("POST", "/bank/transfer", json.getBytes(StandardCharsets.US_ASCII), JSON);
        }
        if (op instanceof Op.Ping) {
            return new HttpOp("GET", "/ping", null, null);
        }
        throw new IllegalArgumentException("no HTTP form for " + op);
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

    /** A short name for an error answer: status and the {@code error} field of the demo's JSON error body. */
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
