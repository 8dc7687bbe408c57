package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.runtime.health.Level2pcHealthCheck;
import io.quarkiverse.level2pc.runtime.health.WritesHealthCheck;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;

/** {@code quarkus.level-2pc.health.enabled=false} removes the check although smallrye-health is present. */
public class HealthCheckDisabledTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.health.enabled", "false")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(HealthCheckDisabledTest.class));

    @Test
    void readinessDoesNotContainTheCheck() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", not(hasItem("level-2pc")));
    }

    @Test
    void theCheckIsNotABean() {
        assertThat(Arc.container().select(Level2pcHealthCheck.class).isResolvable()).isFalse();
        assertThat(Arc.container().select(WritesHealthCheck.class).isResolvable()).isFalse();
    }
}
