package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * Forged authentication headers (a plausible timestamp, any signature) pass the checks made before a
 * body is read, since only the body's hash proves the sender. Large bodies therefore share a budget of
 * 4 x {@code max-message-size} while they are read: senders that announce large bodies and never send
 * them cannot make the node hold more, the next one is refused with 503 before its body is read, small
 * signed peer calls still pass, and the budget comes back when a sender goes away.
 */
public class PeerBodyBudgetTest {

    static final String CLUSTER = "budgeted";
    static final int MAX = 1024 * 1024;

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class, FakeMember.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "budgeted-node")
            .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            // The node the test plays: only a member's requests are served.
            .overrideConfigKey("quarkus.level-2pc.peers", FakeMember.address("coordinator-x", CLUSTER))
            .overrideConfigKey("quarkus.level-2pc.max-message-size", "1M")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(PeerBodyBudgetTest.class));

    @TestHTTPResource("/")
    URL url;

    @Test
    void largeUnauthenticatedBodiesShareABudgetAndSmallSignedCallsStillPass() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            // Four senders announce 1 MiB each (the whole budget) and send nothing more.
            for (int i = 0; i < 4; i++) {
                Socket s = open();
                s.getOutputStream().write(head(PeerProtocol.PREPARE, forged(), MAX));
                s.getOutputStream().flush();
                stalled.add(s);
            }
            assertNoAnswerYet(stalled.get(0));

            // The fifth is refused at once, before its body is read, and its connection closed.
            try (Socket fifth = open()) {
                fifth.getOutputStream().write(head(PeerProtocol.PREPARE, forged(), MAX));
                String answer = readAnswer(fifth);
                assertThat(answer).startsWith("HTTP/1.1 503").contains("\"error\":\"busy\"")
                        .contains("budgeted-node").contains("max-message-size");
            }

            // A small, correctly signed peer call does not need the budget.
            try (Socket hello = open()) {
                byte[] body = new byte[0];
                Map<String, String> headers = signed(PeerProtocol.HELLO, body);
                hello.getOutputStream().write(head(PeerProtocol.HELLO, headers, body.length));
                assertThat(readAnswer(hello)).startsWith("HTTP/1.1 200");
            }

            // One sender goes away: its share comes back, and a large body is read again (then refused
            // for its forged signature, which only the body could tell).
            stalled.remove(0).close();
            String answer = null;
            for (int attempt = 0; attempt < 50 && (answer == null || answer.startsWith("HTTP/1.1 503")); attempt++) {
                try (Socket next = open()) {
                    byte[] body = new byte[MAX];
                    next.getOutputStream().write(head(PeerProtocol.PREPARE, forged(), body.length));
                    next.getOutputStream().write(body);
                    answer = readAnswer(next);
                }
                if (answer.startsWith("HTTP/1.1 503")) {
                    Thread.sleep(100); // the server notices the closed connection asynchronously
                }
            }
            assertThat(answer).startsWith("HTTP/1.1 401").contains("\"error\":\"unauthorized\"");
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    /**
     * An unauthenticated sender that announces a large body gets its 401 before sending any of it, and the
     * node closes the connection at once instead of waiting to read (and throw away) the body: a flood of
     * unsigned large bodies costs the node their headers only.
     */
    @Test
    void anUnauthenticatedLargeBodyIsRefusedAndItsConnectionClosedWithoutReadingIt() throws Exception {
        try (Socket s = open()) {
            s.getOutputStream().write(head(PeerProtocol.PREPARE, Map.of(), MAX)); // no authentication headers
            s.getOutputStream().flush();
            String answer = readAnswer(s);
            assertThat(answer).startsWith("HTTP/1.1 401").contains("missing authentication headers");
            s.setSoTimeout(5_000);
            int next;
            try {
                next = s.getInputStream().read();
            } catch (java.net.SocketException reset) {
                next = -1; // closed by a reset: closed all the same
            } catch (java.net.SocketTimeoutException stillOpen) {
                throw new AssertionError("the node kept the connection open, waiting for a body it would read and discard");
            }
            assertThat(next).as("the node closed the connection after its answer").isEqualTo(-1);
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket(url.getHost(), url.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    /** Headers that pass the checks made before the body: all present, a current timestamp; the signature is made up. */
    private static Map<String, String> forged() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(PeerProtocol.HEADER_NODE, "intruder");
        h.put(PeerProtocol.HEADER_DATE, Long.toString(System.currentTimeMillis()));
        h.put(PeerProtocol.HEADER_NONCE, UUID.randomUUID().toString());
        h.put(PeerProtocol.HEADER_SIGNATURE, "00");
        return h;
    }

    private static Map<String, String> signed(String operation, byte[] body) {
        return new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30), Clock.systemUTC())
                .sign("POST", PeerProtocol.PATH_PREFIX + operation, "coordinator-x", "budgeted-node", body);
    }

    private static byte[] head(String operation, Map<String, String> auth, long contentLength) {
        StringBuilder b = new StringBuilder("POST " + PeerProtocol.PATH_PREFIX + operation + " HTTP/1.1\r\n")
                .append("Host: localhost\r\n")
                .append("Content-Type: application/octet-stream\r\n")
                .append("Content-Length: ").append(contentLength).append("\r\n")
                .append(PeerProtocol.HEADER_CLUSTER).append(": ").append(CLUSTER).append("\r\n")
                .append(PeerProtocol.HEADER_PROTOCOL).append(": ").append(PeerProtocol.VERSION).append("\r\n");
        auth.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        return b.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The answer's status line, headers and body, read until the body's Content-Length or the end of the stream. */
    private static String readAnswer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int contentLength = -1;
        int headerEnd = -1;
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0;) {
            out.write(buf, 0, n);
            String text = out.toString(StandardCharsets.ISO_8859_1);
            if (headerEnd < 0 && (headerEnd = text.indexOf("\r\n\r\n")) >= 0) {
                for (String line : text.substring(0, headerEnd).split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        contentLength = Integer.parseInt(line.substring(15).trim());
                    }
                }
            }
            if (headerEnd >= 0 && contentLength >= 0 && out.size() >= headerEnd + 4 + contentLength) {
                break;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void assertNoAnswerYet(Socket s) throws IOException {
        s.setSoTimeout(300);
        try {
            int b = s.getInputStream().read();
            throw new AssertionError("a sender that has not sent its body got an answer (first byte " + b + ")");
        } catch (java.net.SocketTimeoutException expected) {
            // still waiting for its body: it holds its share of the budget
        } finally {
            s.setSoTimeout(10_000);
        }
    }
}
