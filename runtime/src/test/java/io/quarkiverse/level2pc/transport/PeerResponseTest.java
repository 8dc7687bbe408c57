package io.quarkiverse.level2pc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Error answers are valid JSON whatever their detail contains (exception messages quote user keys). */
class PeerResponseTest {

    @Test
    void anErrorDetailSurvivesAsJson() throws Exception {
        String detail = "key \"a\\b\"\nline\ttab\u0001ctrl ünïcode";

        PeerResponse r = PeerResponse.error(409, "conflict", detail);

        JsonNode j = new ObjectMapper().readTree(r.body());
        assertThat(r.status()).isEqualTo(409);
        assertThat(j.path("error").asText()).isEqualTo("conflict");
        assertThat(j.path("detail").asText()).isEqualTo(detail);
    }

    @Test
    void aNullDetailIsTheTextNull() throws Exception {
        JsonNode j = new ObjectMapper().readTree(PeerResponse.error(500, "internal error", null).body());
        assertThat(j.path("detail").asText()).isEqualTo("null");
    }

    @Test
    void aPromiseRefusalIsA503NamingWhenToRetry() throws Exception {
        PeerResponse r = PeerResponse.promised("promised node \"c\"", 1500);

        JsonNode j = new ObjectMapper().readTree(r.body());
        assertThat(r.status()).isEqualTo(503);
        assertThat(j.path("error").asText()).isEqualTo(PeerProtocol.PROMISED);
        assertThat(j.path("detail").asText()).isEqualTo("promised node \"c\"");
        assertThat(j.path("retryAfterMillis").asLong()).isEqualTo(1500);
    }

    @Test
    void requestBodyIsNeverNull() {
        assertThat(new PeerRequest("a", PeerProtocol.HELLO, null).body()).isEmpty();
    }
}
