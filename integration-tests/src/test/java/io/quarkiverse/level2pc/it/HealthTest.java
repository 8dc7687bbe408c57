package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class HealthTest {

    @Test
    void readinessIncludesTheLevel2pcCheck() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("level-2pc"))
                .body("checks.find { it.name == 'level-2pc' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc' }.data.in-doubt", equalTo(0));
    }

    @Test
    void theWritesGroupHasTheLevel2pcWritesCheck() {
        given().get("/q/health/group/level-2pc-writes").then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc-writes' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc-writes' }.data.writable", equalTo(true));
    }
}
