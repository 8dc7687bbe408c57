package io.quarkiverse.level2pc.deployment;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.RestPeerTransport;

/**
 * Helpers for the peer-transport tests, which drive a single node as a participant, the way a
 * coordinator node would: branch ids, transaction work on keys of the default database, and REST
 * transports signing with a given secret.
 */
final class PeerTestSupport {

    /** The cluster secret of the participant apps (at least 16 characters). */
    static final String SECRET = "peer-transport-test-secret-0123";

    private static final AtomicInteger TX = new AtomicInteger();

    private PeerTestSupport() {
    }

    /** The internal key of {@code userKey} in the default database (what ReplicatedDB.put("userKey", ..) writes). */
    static Bytes key(String userKey) {
        return KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), userKey.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A fresh branch id; its gtrid (the version its writes stamp) is unique in this JVM. */
    static BranchId branch(String label) {
        String gtrid = "gtrid-" + label + "-" + TX.incrementAndGet();
        if (gtrid.length() > BranchId.MAX_ID_LENGTH) {
            gtrid = gtrid.substring(gtrid.length() - BranchId.MAX_ID_LENGTH);
        }
        return new BranchId(131077, Bytes.utf8(gtrid), Bytes.utf8("peer-branch"));
    }

    /** Work writing {@code key=value} (a {@code null} value deletes), having read nothing. */
    static TxWork write(String coordinator, String key, String value) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(key(key), value == null ? null : utf8(value));
        return new TxWork(writes, Map.of(), coordinator);
    }

    /** Work writing {@code key=value} after having read {@code readKey} at {@code readVersion}. */
    static TxWork readThenWrite(String coordinator, String readKey, Bytes readVersion, String key, String value) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(key(key), utf8(value));
        return new TxWork(writes, Map.of(key(readKey), readVersion), coordinator);
    }

    /** Work that only read {@code key} at {@code version}. */
    static TxWork readOnly(String coordinator, String key, Bytes version) {
        return new TxWork(new TreeMap<>(), Map.of(key(key), version), coordinator);
    }

    /** The branch ids whose prepare records are in the store (read back from LevelDB, not from memory). */
    static List<BranchId> preparedOnDisk(NodeStore store) {
        return store.loadPrepared().stream().map(PrepareRecord::branch).toList();
    }

    /** A REST transport signing with {@code secret}, claiming cluster {@code cluster}. */
    static RestPeerTransport rest(String secret, String cluster, SSLContext ssl) {
        return new RestPeerTransport(new PeerAuth(secret, Duration.ofSeconds(30), Clock.systemUTC()), cluster,
                Duration.ofSeconds(2), Duration.ofSeconds(10), ssl);
    }

    /** The base URI (scheme, host, port) of a test HTTP resource URL. */
    static URI base(URL url) {
        try {
            return new URI(url.getProtocol(), null, url.getHost(), url.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(url.toString(), e);
        }
    }

    /** A loopback port nobody listens on (it was free a moment ago). */
    static URI unreachablePeer() {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
