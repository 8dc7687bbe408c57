package io.quarkiverse.level2pc.deployment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerProtocol;

/**
 * A stand-in for a cluster node at a loopback address, so that a test application can list it in
 * {@code quarkus.level-2pc.peers}: it answers hellos under its name, so the application counts the name as a member's,
 * and the test may then drive the application as that node would. It checks every request's signature and address
 * and signs its answers; it votes YES to every prepare and is done with every commit and rollback (the application's
 * own writes go through), has nothing to recover and knows every outcome as in progress (so the application's
 * in-doubt resolver leaves the test's branches alone).
 *
 * <p>
 * A test class is initialised twice (by JUnit and inside the application): {@link #address} starts the member once
 * per JVM, cluster and name, and tells both the same address.
 */
final class FakeMember {

    private final HttpServer server;

    private FakeMember(HttpServer server) {
        this.server = server;
    }

    /** The base address of the member {@code name} of {@code cluster}, started on first use in this JVM. */
    static String address(String name, String cluster) {
        String property = "level2pc.test.fake-member." + cluster + "." + name;
        String existing = System.getProperty(property);
        if (existing != null) {
            return existing;
        }
        String started = start(name, cluster, 0).address();
        System.setProperty(property, started);
        return started;
    }

    /** Starts the member {@code name} on {@code port} (0: any free one). */
    static FakeMember start(String name, String cluster, int port) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            PeerAuth auth = new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30), Clock.systemUTC());
            s.createContext(PeerProtocol.PATH_PREFIX, exchange -> answer(exchange, name, cluster, auth));
            s.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "fake-member-" + name);
                t.setDaemon(true);
                return t;
            }));
            s.start();
            return new FakeMember(s);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fake member " + name, e);
        }
    }

    String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
    }

    private static void answer(HttpExchange exchange, String name, String cluster, PeerAuth auth) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String path = exchange.getRequestURI().getPath();
        String operation = path.substring(PeerProtocol.PATH_PREFIX.length());
        String nonce = exchange.getRequestHeaders().getFirst(PeerProtocol.HEADER_NONCE);
        String refused = auth.verify("POST", path, exchange.getRequestHeaders()::getFirst, body, name);
        int status = refused == null ? 200 : 401;
        byte[] answer = refused != null ? json("unauthorized", refused) : switch (operation) {
            case PeerProtocol.HELLO -> ("{\"node\":\"" + name + "\",\"cluster\":\"" + cluster + "\",\"protocol\":"
                    + PeerProtocol.VERSION + ",\"clock\":" + System.currentTimeMillis() + ",\"current\":true}")
                    .getBytes(StandardCharsets.UTF_8);
            case PeerProtocol.PREPARE -> utf8(PeerProtocol.VOTE_YES);
            case PeerProtocol.COMMIT, PeerProtocol.ROLLBACK -> utf8(PeerProtocol.DONE);
            case PeerProtocol.BATCH -> batch(body);
            case PeerProtocol.RECOVER -> Codec.encodeBranches(List.of());
            case PeerProtocol.OUTCOME -> utf8("IN_PROGRESS");
            default -> null;
        };
        if (answer == null) {
            status = 404;
            answer = json("unknown operation", "the fake member " + name + " does not answer " + operation);
        }
        exchange.getResponseHeaders().add(PeerProtocol.HEADER_RESPONSE_SIGNATURE, auth.signResponse(nonce, status, answer));
        exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    /** Each message of a batch answered in its frame: status (2 bytes), then YES to a prepare, DONE to the others. */
    private static byte[] batch(byte[] body) {
        List<byte[]> answers = new ArrayList<>();
        for (byte[] frame : Codec.decodeFrames(body, 256)) {
            byte[] text = utf8(Character.toLowerCase((char) frame[0]) == 'p' ? PeerProtocol.VOTE_YES : PeerProtocol.DONE);
            byte[] a = new byte[text.length + 2];
            a[0] = 0;
            a[1] = (byte) 200;
            System.arraycopy(text, 0, a, 2, text.length);
            answers.add(a);
        }
        return Codec.encodeFrames(answers);
    }

    private static byte[] json(String error, String detail) {
        return ("{\"error\":\"" + error + "\",\"detail\":\"" + detail.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The port of {@code address}. */
    static int port(String address) {
        return URI.create(address).getPort();
    }
}
