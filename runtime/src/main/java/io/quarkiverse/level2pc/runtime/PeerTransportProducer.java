package io.quarkiverse.level2pc.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkiverse.level2pc.transport.PeerAuth;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.transport.RestPeerTransport;
import io.quarkiverse.level2pc.transport.VertxPeerTransport;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.vertx.core.Vertx;

/**
 * Produces the default {@link PeerTransport}: {@link VertxPeerTransport}, HTTP/1.1 on the application's
 * Vert.x instance, taking answers up to {@code max-message-size} (the bound requests have). An application
 * bean implementing {@link PeerTransport} replaces it ({@code @DefaultBean}).
 */
@Singleton
public class PeerTransportProducer {

    @Produces
    @Singleton
    @DefaultBean
    PeerTransport vertxTransport(Level2pcConfig config, TlsConfigurationRegistry tls, Vertx vertx) {
        PeerAuth auth = new PeerAuth(config.clusterSecret().orElse(""), config.authWindow(), Clock.systemUTC());
        return new VertxPeerTransport(vertx, auth, config.clusterName(), Duration.ofSeconds(2), ConfigValidator.peerCallTimeout(config),
                tlsConfiguration(config, tls), config.maxMessageSize().asLongValue());
    }

    void close(@Disposes PeerTransport transport) {
        if (transport instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // shutting down: nothing to do
            }
        }
    }

    /**
     * The TLS configuration named by {@code tls-configuration-name}, else the default one; {@code null} when
     * there is none or it configures no store (the JVM's default trust then applies to HTTPS peers).
     */
    static TlsConfiguration tlsConfiguration(Level2pcConfig config, TlsConfigurationRegistry registry) {
        Optional<TlsConfiguration> tls = config.tlsConfigurationName().isPresent()
                ? registry.get(config.tlsConfigurationName().get())
                : registry.getDefault();
        if (config.tlsConfigurationName().isPresent() && tls.isEmpty()) {
            throw new ConfigurationException("quarkus.level-2pc.tls-configuration-name="
                    + config.tlsConfigurationName().get() + " names no TLS configuration (quarkus.tls."
                    + config.tlsConfigurationName().get() + ".*)");
        }
        if (tls.isEmpty() || tls.get().getTrustStore() == null && tls.get().getKeyStore() == null && !tls.get().isTrustAll()) {
            return null;
        }
        return tls.get();
    }

    /** The {@link SSLContext} of {@link #tlsConfiguration} (for a {@link RestPeerTransport}), or {@code null}. */
    static SSLContext sslContext(Level2pcConfig config, TlsConfigurationRegistry registry) {
        TlsConfiguration tls = tlsConfiguration(config, registry);
        if (tls == null) {
            return null;
        }
        try {
            return tls.createSSLContext();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the TLS context for peer calls: " + e.getMessage(), e);
        }
    }
}
