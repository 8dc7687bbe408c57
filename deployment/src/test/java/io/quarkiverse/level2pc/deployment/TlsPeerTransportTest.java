package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkiverse.level2pc.transport.VertxPeerTransport;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.smallrye.certs.CertificateGenerator;
import io.smallrye.certs.CertificateRequest;
import io.smallrye.certs.Format;
import io.vertx.core.Vertx;

/**
 * Peer calls over HTTPS, with certificates from the Quarkus TLS registry. The node serves HTTPS only
 * (default TLS configuration: a generated key store for {@code localhost}); its peer transport trusts
 * the named configuration {@code peer-trust} ({@code quarkus.level-2pc.tls-configuration-name}).
 * <ul>
 * <li>a {@link RestPeerTransport} trusting the generated certificate runs hello, prepare and commit;</li>
 * <li>one with the JDK's default trust cannot reach the node ({@link PeerUnavailableException}), and
 * nothing reaches the store;</li>
 * <li>the transport the extension produces (the Vert.x one, no SSLContext of the test's) reaches the
 * node: it trusts the named TLS configuration's trust store.</li>
 * </ul>
 */
public class TlsPeerTransportTest {

    static final String PASSWORD = "secret";
    static final Path CERTS = certificates();

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class, FakeMember.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.http.test-ssl-port", "0")
            .overrideConfigKey("quarkus.http.insecure-requests", "disabled")
            .overrideConfigKey("quarkus.tls.key-store.p12.path", CERTS.resolve("peer-keystore.p12").toString())
            .overrideConfigKey("quarkus.tls.key-store.p12.password", PASSWORD)
            .overrideConfigKey("quarkus.tls.peer-trust.trust-store.p12.path", CERTS.resolve("peer-truststore.p12").toString())
            .overrideConfigKey("quarkus.tls.peer-trust.trust-store.p12.password", PASSWORD)
            .overrideConfigKey("quarkus.level-2pc.tls-configuration-name", "peer-trust")
            .overrideConfigKey("quarkus.level-2pc.node-name", "tls-node")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
            // The node the test plays (over plain HTTP: only its address is needed): only a member's requests are served.
            .overrideConfigKey("quarkus.level-2pc.peers", FakeMember.address("coordinator-x", "level-2pc"))
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TlsPeerTransportTest.class));

    /**
     * A PKCS12 key store and trust store for {@code localhost}, generated once per JVM: this class is
     * initialised twice (by JUnit and inside the application), and regenerating would hand the test a
     * trust store that does not match the key the server already loaded.
     */
    static Path certificates() {
        String property = "level2pc.test.tls-certs";
        String existing = System.getProperty(property);
        if (existing != null) {
            return Path.of(existing);
        }
        try {
            Path dir = Path.of("target", "certs", "tls-peer-transport-" + System.nanoTime()).toAbsolutePath();
            Files.createDirectories(dir);
            new CertificateGenerator(dir, true).generate(new CertificateRequest()
                    .withName("peer")
                    .withCN("localhost")
                    .withSubjectAlternativeName("DNS:localhost")
                    .withFormat(Format.PKCS12)
                    .withPassword(PASSWORD));
            System.setProperty(property, dir.toString());
            return dir;
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate the test certificates", e);
        }
    }

    static SSLContext trustingTheGeneratedCertificate() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(CERTS.resolve("peer-truststore.p12"))) {
            trust.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    @Inject
    ReplicatedDB db;

    @TestHTTPResource(value = "/", tls = true)
    URL url;

    private String peer() {
        URI u = PeerTestSupport.base(url);
        assertThat(u.getScheme()).isEqualTo("https");
        return u.toString();
    }

    @Test
    void aTransportTrustingTheCertificateRunsTheProtocolOverHttps() throws Exception {
        PeerClient client = new PeerClient(PeerTestSupport.rest(PeerTestSupport.SECRET, "level-2pc", trustingTheGeneratedCertificate()),
                "coordinator-x", Runnable::run);
        BranchId b = branch("tls");

        assertThat(Futures.join(client.hello(peer(), false)).node()).isEqualTo("tls-node");
        assertThat(Futures.join(client.prepare(peer(), b, write("coordinator-x", "over-tls", "encrypted")))).isEqualTo(Vote.YES);
        assertThat(Futures.join(client.commit(peer(), b))).isEqualTo(Completion.DONE);

        assertThat(db.get("over-tls")).isEqualTo("encrypted");
    }

    @Test
    void aTransportNotTrustingTheCertificateCannotReachTheNode() {
        PeerClient client = new PeerClient(PeerTestSupport.rest(PeerTestSupport.SECRET, "level-2pc", null), "coordinator-x",
                Runnable::run);
        BranchId b = branch("untrusted");

        assertThatThrownBy(() -> Futures.join(client.hello(peer(), false)))
                .isInstanceOf(PeerUnavailableException.class)
                .satisfies(e -> assertThat(TestSupport.describeChain(e))
                        .contains(SSLHandshakeException.class.getName())
                        .contains("PKIX path building failed"));
        assertThatThrownBy(() -> Futures.join(client.prepare(peer(), b, write("coordinator-x", "untrusted", "v"))))
                .isInstanceOf(PeerUnavailableException.class);
        assertThat(db.get("untrusted")).isNull();
    }

    @Test
    void theDefaultTransportNotTrustingTheCertificateNamesTheRootCauseAndThePropertyToSet() {
        Vertx vertx = Arc.container().instance(Vertx.class).get();
        PeerAuth auth = new PeerAuth(PeerTestSupport.SECRET, Duration.ofSeconds(30), Clock.systemUTC());
        try (VertxPeerTransport untrusting = new VertxPeerTransport(vertx, auth, "level-2pc", Duration.ofSeconds(2),
                Duration.ofSeconds(10), null)) {
            PeerClient client = new PeerClient(untrusting, "coordinator-x", Runnable::run);

            assertThatThrownBy(() -> Futures.join(client.hello(peer(), false)))
                    .isInstanceOf(PeerUnavailableException.class)
                    .hasMessageContaining("TLS handshake failed")
                    .hasMessageContaining("unable to find valid certification path")
                    .hasMessageContaining("quarkus.level-2pc.tls-configuration-name")
                    .hasMessageNotContaining("Failed to create SSL connection");
        }
    }

    @Test
    void theProducedTransportTrustsTheNamedTlsConfiguration() {
        PeerTransport produced = Arc.container().instance(PeerTransport.class).get();
        assertThat(produced).isInstanceOf(VertxPeerTransport.class);
        // It signs with the node's own secret and cluster name: a full round trip proves all three.
        PeerClient client = new PeerClient(produced, "coordinator-x", Runnable::run);
        BranchId b = branch("produced");

        assertThat(Futures.join(client.hello(peer(), false)).node()).isEqualTo("tls-node");
        assertThat(Futures.join(client.prepare(peer(), b, write("coordinator-x", "produced", "trusted")))).isEqualTo(Vote.YES);
        assertThat(Futures.join(client.commit(peer(), b))).isEqualTo(Completion.DONE);
        assertThat(db.get("produced")).isEqualTo("trusted");
    }
}
