package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;

/** With quarkus-smallrye-health present, readiness carries an UP {@code level-2pc} check with its data. */
public class HealthCheckReportsNodeTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "health-node")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(HealthCheckReportsNodeTest.class));

    @Inject
    ReplicatedDB db;

    @Test
    void readinessContainsTheLevel2pcCheck() {
        db.put("counted", "once");
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("level-2pc"))
                .body("checks.find { it.name == 'level-2pc' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc' }.data.node", equalTo("health-node"))
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt'", equalTo(0))
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt-waiting'", equalTo(0))
                // at least the put (the node-name claim at open is written directly, not counted)
                .body("checks.find { it.name == 'level-2pc' }.data.'store-writes'", greaterThanOrEqualTo(1))
                .body("checks.find { it.name == 'level-2pc' }.data.'store-syncs'", greaterThanOrEqualTo(1))
                .body("checks.find { it.name == 'level-2pc' }.data.store", endsWith("leveldb"))
                .body("checks.find { it.name == 'level-2pc' }.data.writable", equalTo(true));
    }

    @Test
    void theWritesGroupIsUpOnASingleNode() {
        given().when().get("/q/health/group/level-2pc-writes")
                .then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc-writes' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc-writes' }.data.node", equalTo("health-node"));
    }

    @Test
    void livenessDoesNotContainIt() {
        given().when().get("/q/health/live")
                .then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc' }", equalTo(null));
    }
}
