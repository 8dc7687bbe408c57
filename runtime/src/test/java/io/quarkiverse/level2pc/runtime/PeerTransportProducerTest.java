package io.quarkiverse.level2pc.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;

/**
 * Which TLS configuration the peer transport trusts: the one named by {@code tls-configuration-name}
 * (which must exist), else the default one, else none (the JDK's default trust).
 */
class PeerTransportProducerTest {

    private static Level2pcConfig config(String tlsConfigurationName) {
        return (Level2pcConfig) Proxy.newProxyInstance(Level2pcConfig.class.getClassLoader(), new Class<?>[] { Level2pcConfig.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("tlsConfigurationName")) {
                        return Optional.ofNullable(tlsConfigurationName);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A TLS configuration with or without a trust store, whose SSLContext is {@code context}. */
    private static TlsConfiguration tls(boolean withTrustStore, SSLContext context) {
        return (TlsConfiguration) Proxy.newProxyInstance(TlsConfiguration.class.getClassLoader(), new Class<?>[] { TlsConfiguration.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "getTrustStore" -> withTrustStore ? emptyKeyStore() : null;
                    case "getKeyStore" -> null;
                    case "isTrustAll" -> false;
                    case "createSSLContext" -> {
                        if (context == null) {
                            throw new KeyStoreException("keystore was tampered with");
                        }
                        yield context;
                    }
                    case "toString" -> "tls";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static KeyStore emptyKeyStore() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        return ks;
    }

    private static final class Registry implements TlsConfigurationRegistry {
        final Map<String, TlsConfiguration> named = new HashMap<>();
        TlsConfiguration defaultConfiguration;

        @Override
        public Optional<TlsConfiguration> get(String name) {
            return Optional.ofNullable(named.get(name));
        }

        @Override
        public Optional<TlsConfiguration> getDefault() {
            return Optional.ofNullable(defaultConfiguration);
        }

        @Override
        public void register(String name, TlsConfiguration configuration) {
            named.put(name, configuration);
        }
    }

    private static SSLContext newContext() throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, null, null);
        return c;
    }

    @Test
    void theNamedConfigurationIsUsed() throws Exception {
        SSLContext named = newContext();
        Registry registry = new Registry();
        registry.register("peer-trust", tls(true, named));
        registry.defaultConfiguration = tls(true, newContext());

        assertThat(PeerTransportProducer.sslContext(config("peer-trust"), registry)).isSameAs(named);
    }

    @Test
    void aNameWithoutConfigurationIsAConfigurationError() {
        Registry registry = new Registry();
        registry.defaultConfiguration = tls(true, null);

        assertThatThrownBy(() -> PeerTransportProducer.sslContext(config("missing"), registry))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("quarkus.level-2pc.tls-configuration-name=missing")
                .hasMessageContaining("quarkus.tls.missing.*");
    }

    @Test
    void withoutANameTheDefaultConfigurationIsUsed() throws Exception {
        SSLContext byDefault = newContext();
        Registry registry = new Registry();
        registry.defaultConfiguration = tls(true, byDefault);

        assertThat(PeerTransportProducer.sslContext(config(null), registry)).isSameAs(byDefault);
    }

    @Test
    void withoutStoresThereIsNoContext() {
        Registry registry = new Registry();
        assertThat(PeerTransportProducer.sslContext(config(null), registry)).as("no default configuration").isNull();

        registry.defaultConfiguration = tls(false, null);
        assertThat(PeerTransportProducer.sslContext(config(null), registry)).as("a default without stores").isNull();
    }

    @Test
    void theDefaultTransportIsGivenTheSameConfigurationItself() {
        // VertxPeerTransport takes the TLS configuration (its trust and key store options), not an SSLContext.
        TlsConfiguration named = tls(true, null);
        TlsConfiguration byDefault = tls(true, null);
        Registry registry = new Registry();
        registry.register("peer-trust", named);
        registry.defaultConfiguration = byDefault;

        assertThat(PeerTransportProducer.tlsConfiguration(config("peer-trust"), registry)).isSameAs(named);
        assertThat(PeerTransportProducer.tlsConfiguration(config(null), registry)).isSameAs(byDefault);
        assertThat(PeerTransportProducer.tlsConfiguration(config(null), new Registry())).isNull();
        registry.defaultConfiguration = tls(false, null);
        assertThat(PeerTransportProducer.tlsConfiguration(config(null), registry)).as("a default without stores").isNull();
        assertThatThrownBy(() -> PeerTransportProducer.tlsConfiguration(config("missing"), registry))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("quarkus.level-2pc.tls-configuration-name=missing");
    }

    @Test
    void aContextThatCannotBeCreatedStopsWithTheReason() {
        Registry registry = new Registry();
        registry.register("broken", tls(true, null));

        assertThatThrownBy(() -> PeerTransportProducer.sslContext(config("broken"), registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot create the TLS context for peer calls")
                .hasMessageContaining("keystore was tampered with");
    }
}
