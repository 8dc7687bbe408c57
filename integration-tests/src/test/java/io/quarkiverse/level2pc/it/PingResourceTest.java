package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** GET /ping, the trivial endpoint the benchmark compares reads with. */
@QuarkusTest
class PingResourceTest {

    @Test
    void pingAnswersPong() {
        given().get("/ping").then().statusCode(200).body(equalTo("pong"));
    }
}
