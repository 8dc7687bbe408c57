package io.quarkiverse.level2pc.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;

/**
 * In quorum mode a node waits at most {@code read-lease} for a peer's answer, so that a prepare held back in
 * the network longer than the read lease cannot pass (its transaction rolls back instead); with every node in
 * every write, {@code prepare-timeout} as configured.
 */
class PeerCallTimeoutTest {

    /** Node a with two peers, the defaults of prepare-timeout (10 s) and read-lease (3 s) unless given. */
    private static Level2pcConfig config(Map<String, String> properties) {
        return (Level2pcConfig) Proxy.newProxyInstance(Level2pcConfig.class.getClassLoader(), new Class<?>[] { Level2pcConfig.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "nodeName" -> "a";
                    case "peers" -> Optional.of(List.of("http://127.0.0.1:8082", "http://127.0.0.1:8083"));
                    case "minConsensus" -> properties.containsKey("min-consensus")
                            ? OptionalInt.of(Integer.parseInt(properties.get("min-consensus")))
                            : OptionalInt.empty();
                    case "prepareTimeout" -> Duration.parse(properties.getOrDefault("prepare-timeout", "PT10S"));
                    case "readLease" -> Duration.parse(properties.getOrDefault("read-lease", "PT3S"));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void quorumModeWaitsAtMostTheReadLease() {
        assertThat(ConfigValidator.peerCallTimeout(config(Map.of("min-consensus", "1"))))
                .as("defaults: prepare-timeout 10 s, read-lease 3 s").isEqualTo(Duration.ofSeconds(3));
        assertThat(ConfigValidator.peerCallTimeout(config(Map.of("min-consensus", "1",
                "prepare-timeout", "PT2S")))).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void everyNodeInEveryWriteWaitsThePrepareTimeout() {
        assertThat(ConfigValidator.peerCallTimeout(config(Map.of()))).isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigValidator.peerCallTimeout(config(Map.of("min-consensus", "2"))))
                .as("min-consensus = every peer").isEqualTo(Duration.ofSeconds(10));
    }
}
