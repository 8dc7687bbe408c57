package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/** With {@code quarkus.level-2pc.readiness=writes}, a node that takes no writes (its peer is down) is not ready. */
public class HealthReadinessRequiresWritesTest {

    static final String PEER = HealthWithPeerDownTest.PEER;

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, HealthWithPeerDownTest.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "strict")
            .overrideConfigKey("quarkus.level-2pc.peers", PEER)
            .overrideConfigKey("quarkus.level-2pc.readiness", "writes")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", "0123456789abcdef0123456789abcdef")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(HealthReadinessRequiresWritesTest.class));

    @Test
    void readinessIsDownWhileTheNodeTakesNoWrites() {
        given().when().get("/q/health/ready")
                .then().statusCode(503)
                .body("checks.find { it.name == 'level-2pc' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'level-2pc' }.data.writable", equalTo(false))
                .body("checks.find { it.name == 'level-2pc' }.data.reason", containsString(PEER));
    }
}
