package io.quarkiverse.level2pc.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A peer list every node shares (a Kubernetes StatefulSet: {@code kv-0.kv-peers}, {@code kv-1.kv-peers}, ...) names
 * the node itself: the entry whose host starts with the node name and a dot is this node; nothing else is.
 */
class ConfigValidatorSelfTest {

    @Test
    void theEntryWhoseHostStartsWithTheNodeNameAndADotIsThisNode() {
        assertThat(ConfigValidator.isSelf("http://kv-0.kv-peers:8080", "kv-0")).isTrue();
        assertThat(ConfigValidator.isSelf(" https://kv-0.kv-peers.default.svc.cluster.local:8443/ ", "kv-0")).isTrue();
    }

    @Test
    void nothingElseIs() {
        assertThat(ConfigValidator.isSelf("http://kv-1.kv-peers:8080", "kv-0")).isFalse();
        assertThat(ConfigValidator.isSelf("http://kv-0:8080", "kv-0")).as("no dot: a host of that name, another node").isFalse();
        assertThat(ConfigValidator.isSelf("http://kv-00.kv-peers:8080", "kv-0")).isFalse();
        assertThat(ConfigValidator.isSelf("http://127.0.0.1:8081", "a")).isFalse();
        assertThat(ConfigValidator.isSelf("http://a.example:8081", "")).isFalse();
        assertThat(ConfigValidator.isSelf("not a url", "kv-0")).isFalse();
    }
}
