package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/**
 * A node whose only peer does not answer serves reads but takes no writes: by default its readiness
 * ({@code /q/health/ready}) is UP and says {@code writable: false}, and the {@code level-2pc-writes} health group
 * is DOWN naming the missing peer.
 */
public class HealthWithPeerDownTest {

    /** Nothing listens on port 1 here (it would need a privileged server): every hello is refused. */
    static final String PEER = "http://127.0.0.1:1";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "lonely")
            .overrideConfigKey("quarkus.level-2pc.peers", PEER)
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123456789abcdef")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(HealthWithPeerDownTest.class));

    @Test
    void readinessIsUpForReadsWhileTheWritesGroupIsDown() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc' }.data.writable", equalTo(false))
                .body("checks.find { it.name == 'level-2pc' }.data.'writes-refused-because'", containsString(PEER))
                // the writes check is in its own group only
                .body("checks.find { it.name == 'level-2pc-writes' }", nullValue());
        given().when().get("/q/health/group/level-2pc-writes")
                .then().statusCode(503)
                .body("checks.find { it.name == 'level-2pc-writes' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'level-2pc-writes' }.data.reason", containsString(PEER))
                .body("checks.find { it.name == 'level-2pc-writes' }.data.node", equalTo("lonely"));
    }
}
