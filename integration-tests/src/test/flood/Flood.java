import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The unsigned-flood measurement of docs/benchmarks.adoc (run by flood.sh, with {@code java Flood.java}).
 * <ul>
 * <li>{@code probe <base-url> <clients> <seconds>}: replicated writes (PUT /kv/..., 100-byte values) by
 * {@code clients} closed-loop clients; prints the count, p50, p99 and max latency.</li>
 * <li>{@code flood <host> <port> <clients> <seconds> <bytes>}: {@code clients} loops, each posting an
 * unsigned {@code bytes}-byte body to /level-2pc/peer/prepare over a new connection, as fast as the node
 * answers; prints the answers by status, and how many body bytes the node let in before it answered.</li>
 * </ul>
 */
public class Flood {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "probe" -> probe(URI.create(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "flood" -> flood(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Long.parseLong(args[5]));
            default -> throw new IllegalArgumentException("probe or flood, not " + args[0]);
        }
    }

    static void probe(URI base, int clients, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String value = "v".repeat(100);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (long i = 0; System.nanoTime() < end; i++) {
                    HttpRequest r = HttpRequest.newBuilder(base.resolve("/kv/flood-probe-" + client + "-" + i))
                            .timeout(Duration.ofSeconds(30)).header("Content-Type", "text/plain")
                            .PUT(HttpRequest.BodyPublishers.ofString(value)).build();
                    long t0 = System.nanoTime();
                    int status;
                    try {
                        status = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (Exception e) {
                        status = -1;
                    }
                    micros.add((System.nanoTime() - t0) / 1000);
                    statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        System.out.printf("probe: %d writes in %d s (%.0f/s), statuses %s, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", sorted.size(), seconds,
                sorted.size() / (double) seconds, new TreeMap<>(statuses), at(sorted, 0.50) / 1000.0, at(sorted, 0.99) / 1000.0,
                sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1000.0);
    }

    private static long at(List<Long> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size())));
    }

    static void flood(String host, int port, int clients, int seconds, long bytes) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
        AtomicLong sent = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        String head = "POST /level-2pc/peer/prepare HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
                + "Content-Type: application/octet-stream\r\nX-Level2pc-Cluster: level-2pc\r\nX-Level2pc-Protocol: 6\r\n"
                + "Content-Length: " + bytes + "\r\n\r\n";
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    requests.incrementAndGet();
                    String answer;
                    try (Socket s = new Socket(host, port)) {
                        s.setSoTimeout(30_000);
                        OutputStream out = s.getOutputStream();
                        out.write(head.getBytes(StandardCharsets.US_ASCII));
                        try {
                            for (long left = bytes; left > 0 && System.nanoTime() < end; left -= chunk.length) {
                                out.write(chunk, 0, (int) Math.min(chunk.length, left));
                                sent.addAndGet(Math.min(chunk.length, left));
                            }
                        } catch (java.io.IOException e) {
                            // the node closed the connection before taking the body: what it should do
                        }
                        InputStream in = s.getInputStream();
                        byte[] status = in.readNBytes(12);
                        answer = status.length == 12 ? new String(status, 9, 3, StandardCharsets.US_ASCII) : "closed";
                    } catch (Exception e) {
                        answer = e.getClass().getSimpleName();
                    }
                    answers.computeIfAbsent(answer, a -> new AtomicLong()).incrementAndGet();
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.printf("flood: %d unsigned requests of %d bytes in %d s, answers %s, %.1f MB of body written before the node"
                + " answered or closed%n", requests.get(), bytes, seconds, new TreeMap<>(answers), sent.get() / 1e6);
    }
}
