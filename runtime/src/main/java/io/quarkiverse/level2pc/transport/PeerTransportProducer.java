package io.quarkiverse.level2pc.transport;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.arc.DefaultBean;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;

/**
 * Produces the default {@link PeerTransport}, REST. An application bean implementing
 * {@link PeerTransport} replaces it ({@code @DefaultBean}).
 */
@Singleton
public class PeerTransportProducer {

    @Produces
    @Singleton
    @DefaultBean
    PeerTransport restTransport(Level2pcConfig config, TlsConfigurationRegistry tls) {
        PeerAuth auth = new PeerAuth(config.clusterSecret().orElse(""), config.authWindow(), Clock.systemUTC());
        return new RestPeerTransport(auth, config.clusterName(), Duration.ofSeconds(2), config.prepareTimeout(),
                sslContext(config, tls));
    }

    /** The TLS configuration named by {@code tls-configuration-name}, else the default one, else none. */
    static SSLContext sslContext(Level2pcConfig config, TlsConfigurationRegistry registry) {
        Optional<TlsConfiguration> tls = config.tlsConfigurationName().isPresent()
                ? registry.get(config.tlsConfigurationName().get())
                : registry.getDefault();
        if (config.tlsConfigurationName().isPresent() && tls.isEmpty()) {
            throw new io.quarkus.runtime.configuration.ConfigurationException("quarkus.level-2pc.tls-configuration-name="
                    + config.tlsConfigurationName().get() + " names no TLS configuration (quarkus.tls."
                    + config.tlsConfigurationName().get() + ".*)");
        }
        if (tls.isEmpty() || tls.get().getTrustStore() == null && tls.get().getKeyStore() == null && !tls.get().isTrustAll()) {
            return null;
        }
        try {
            return tls.get().createSSLContext();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the TLS context for peer calls: " + e.getMessage(), e);
        }
    }
}
