package io.quarkiverse.level2pc.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One directed peer link of a test cluster: node X calls node Y through it (X's {@code peers} list its
 * address), so it carries X's requests to Y and Y's answers back. It forwards bytes as they come, and
 * on command: cuts the link (every connection closed, new ones closed at once: X cannot reach Y, while Y
 * still reaches X through its own link), black-holes it (connections stay open, nothing goes through:
 * calls hang until their timeout), or delays every chunk by a fixed time plus a seeded jitter (order
 * kept). Small and blocking on purpose: two threads per connection, enough for a test's few links.
 */
final class TcpProxy implements AutoCloseable {

    enum Mode {
        PASS,
        CUT,
        BLACKHOLE
    }

    private final ServerSocket server;
    private final int targetPort;
    private final String name;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Random jitterRandom;
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMillis;
    private volatile long jitterMillis;
    private volatile boolean closed;

    TcpProxy(String name, int targetPort, long seed) throws IOException {
        this.name = name;
        this.targetPort = targetPort;
        this.jitterRandom = new Random(seed);
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(this::accept, "proxy-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    void mode(Mode m) {
        this.mode = m;
        if (m == Mode.CUT) {
            closeConnections();
        }
    }

    /** Every chunk waits {@code fixed} ms plus up to {@code jitter} ms more (0, 0: no delay). */
    void delay(long fixed, long jitter) {
        this.delayMillis = fixed;
        this.jitterMillis = jitter;
    }

    void heal() {
        delay(0, 0);
        mode = Mode.PASS;
    }

    private void closeConnections() {
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (mode == Mode.CUT) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                open.add(client);
                open.add(target);
                pump(client, target, name + " ->");
                pump(target, client, name + " <-");
            } catch (IOException e) {
                closeQuietly(client); // the target is down: as a refused connection would be
            }
        }
    }

    private void pump(Socket from, Socket to, String what) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0;) {
                    Mode m = mode;
                    if (m == Mode.CUT) {
                        break;
                    }
                    if (m == Mode.BLACKHOLE) {
                        continue; // swallowed: the other side waits for an answer that never comes
                    }
                    long d = delayMillis + (jitterMillis > 0 ? nextJitter() : 0);
                    if (d > 0) {
                        Thread.sleep(d); // the link's latency: this chunk, and so everything after it, arrives later
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // a closed or reset connection ends the pump
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "proxy-" + what);
        t.setDaemon(true);
        t.start();
    }

    private synchronized long nextJitter() {
        return (long) (jitterRandom.nextDouble() * jitterMillis);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // best effort
        }
        closeConnections();
    }
}
