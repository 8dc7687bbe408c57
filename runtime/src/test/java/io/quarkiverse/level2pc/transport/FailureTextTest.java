package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

/** A failed peer call names the cause an operator can act on, TLS failures with their root cause. */
class FailureTextTest {

    /** What the Vert.x client reports: a generic handshake failure wrapping the real one. */
    private static Throwable wrapped(Throwable root) {
        SSLHandshakeException inner = new SSLHandshakeException("PKIX path building failed: " + root.getMessage());
        inner.initCause(root);
        SSLHandshakeException outer = new SSLHandshakeException("Failed to create SSL connection");
        outer.initCause(inner);
        return outer;
    }

    @Test
    void anUntrustedCertificateNamesTheRootCauseAndTheTrustProperties() {
        String text = FailureText.describe(wrapped(new CertPathBuilderException("unable to find valid certification path to requested target")));

        assertThat(text).startsWith("TLS handshake failed: java.security.cert.CertPathBuilderException: unable to find valid"
                + " certification path").contains("does not trust the peer's certificate")
                .contains("quarkus.level-2pc.tls-configuration-name").contains("trust-store")
                .doesNotContain("Failed to create SSL connection");
    }

    @Test
    void aHostNameTheCertificateDoesNotNameSaysSo() {
        String text = FailureText.describe(wrapped(new CertificateException("No subject alternative names matching IP address 127.0.0.1 found")));

        assertThat(text).contains("No subject alternative names matching IP address 127.0.0.1")
                .contains("does not name the host").contains("quarkus.level-2pc.peers");
    }

    @Test
    void noCommonProtocolSaysSo() {
        String text = FailureText.describe(new SSLHandshakeException("No appropriate protocol (protocol is disabled or cipher suites are inappropriate)"));

        assertThat(text).contains("No appropriate protocol").contains("quarkus.tls.<name>.protocols");
    }

    @Test
    void otherFailuresAreTheirOwnText() {
        ConnectException refused = new ConnectException("Connection refused");

        assertThat(FailureText.describe(refused)).isEqualTo(refused.toString());
    }
}
