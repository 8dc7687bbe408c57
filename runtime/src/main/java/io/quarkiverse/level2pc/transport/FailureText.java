package io.quarkiverse.level2pc.transport;

import java.security.cert.CertificateException;
import java.util.Locale;

import javax.net.ssl.SSLException;

/**
 * Words for a failed peer call that name the cause an operator can act on. A TLS failure arrives wrapped
 * (the Vert.x client says only "Failed to create SSL connection"): its root cause (an untrusted
 * certificate, a host name the certificate does not name, no common protocol) is what tells the operator
 * what to fix, so it is spelled out along with the properties that set the peer's trust.
 */
final class FailureText {

    private FailureText() {
    }

    /** {@code cause} as text, with a TLS failure's root cause and what to check. */
    static String describe(Throwable cause) {
        SSLException tls = null;
        Throwable root = cause;
        int depth = 0;
        for (Throwable t = cause; t != null && depth++ < 32; t = t.getCause()) { // bounded: a chain may loop
            if (tls == null && t instanceof SSLException s) {
                tls = s;
            }
            root = t;
        }
        if (tls == null) {
            return String.valueOf(cause);
        }
        String rootText = root.getClass().getName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        String text = root.getMessage() == null ? "" : root.getMessage().toLowerCase(Locale.ROOT);
        String hint;
        if (text.contains("subject alternative name") || text.contains("no name matching") || text.contains("hostname")) {
            hint = "the peer's certificate does not name the host in its quarkus.level-2pc.peers address: use a name or IP"
                    + " address its certificate lists (subject alternative names)";
        } else if (text.contains("protocol") || text.contains("cipher")) {
            hint = "no TLS protocol or cipher suite in common with the peer: check quarkus.tls.<name>.protocols and"
                    + " cipher-suites on both nodes";
        } else if (root instanceof CertificateException || text.contains("certification path") || text.contains("pkix")
                || text.contains("trust")) {
            hint = "this node does not trust the peer's certificate: set quarkus.level-2pc.tls-configuration-name to a TLS"
                    + " configuration whose trust store (quarkus.tls.<name>.trust-store.*) holds the peers' CA";
        } else {
            hint = "check quarkus.level-2pc.tls-configuration-name and the key and trust stores of that TLS configuration"
                    + " (quarkus.tls.<name>.*) on both nodes";
        }
        return "TLS handshake failed: " + rootText + " (" + hint + ")";
    }
}
