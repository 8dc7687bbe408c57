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
 * calls hang until their timeout), delays every chunk by a fixed time plus a seeded jitter (order
 * kept), loses connections (each chunk, with a seeded probability, is dropped and its connection reset
 * in both directions: a request or an answer lost in flight), or duplicates requests (every byte X sends
 * on a connection is also sent to Y on a shadow connection whose answers are thrown away: each request
 * arrives twice, in either order). Small and blocking on purpose: two threads per connection, enough for
 * a test's few links.
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
    private volatile double lossRate;
    private volatile boolean duplicate;
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

    /** Each chunk is lost with probability {@code rate}, and its connection reset (0: nothing lost). */
    void loss(double rate) {
        this.lossRate = rate;
    }

    /**
     * Every request is delivered twice from now on (on a shadow connection). Open connections are closed, so
     * that the callers' next requests open duplicated ones.
     */
    void duplicate(boolean on) {
        this.duplicate = on;
        if (on) {
            closeConnections();
        }
    }

    void heal() {
        delay(0, 0);
        loss(0);
        duplicate = false;
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
                Socket shadow = null;
                if (duplicate) {
                    shadow = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    shadow.setTcpNoDelay(true);
                    open.add(shadow);
                    drain(shadow);
                }
                open.add(client);
                open.add(target);
                pump(client, target, shadow, name + " ->");
                pump(target, client, null, name + " <-");
            } catch (IOException e) {
                closeQuietly(client); // the target is down: as a refused connection would be
            }
        }
    }

    /** Copies {@code from} to {@code to} (and to {@code shadow}, when not null) under the link's current faults. */
    private void pump(Socket from, Socket to, Socket shadow, String what) {
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
                    if (lossRate > 0 && nextDouble() < lossRate) {
                        break; // lost in flight: the connection is reset, whatever it carried is gone
                    }
                    long d = delayMillis + (jitterMillis > 0 ? (long) (nextDouble() * jitterMillis) : 0);
                    if (d > 0) {
                        Thread.sleep(d); // the link's latency: this chunk, and so everything after it, arrives later
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    if (shadow != null) {
                        try {
                            shadow.getOutputStream().write(buf, 0, n);
                            shadow.getOutputStream().flush();
                        } catch (IOException e) {
                            // the duplicate is best effort: its loss is a lost duplicate
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // a closed or reset connection ends the pump
            } finally {
                for (Socket s : new Socket[] { from, to, shadow }) {
                    if (s != null) {
                        closeQuietly(s);
                        open.remove(s);
                    }
                }
            }
        }, "proxy-" + what);
        t.setDaemon(true);
        t.start();
    }

    /** Reads and throws away what Y answers to the duplicated requests. */
    private void drain(Socket shadow) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = shadow.getInputStream()) {
                while (in.read(buf) > 0) {
                    // the duplicate's answers go nowhere
                }
            } catch (IOException e) {
                // closed with its connection
            } finally {
                closeQuietly(shadow);
                open.remove(shadow);
            }
        }, "proxy-" + name + " duplicate");
        t.setDaemon(true);
        t.start();
    }

    private synchronized double nextDouble() {
        return jitterRandom.nextDouble();
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
