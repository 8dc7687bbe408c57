package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** The /kv part of the demo app's HTTP contract. */
@QuarkusTest
class KvResourceTest {

    /** Every test works under its own prefix: the store outlives a single test. */
    private final String p = "kv-" + UUID.randomUUID() + "-";

    @Test
    void putThenGetReturnsTheValueAndDeleteRemovesIt() {
        given().body("hello world").put("/kv/{k}", p + "a").then().statusCode(204);
        given().get("/kv/{k}", p + "a").then().statusCode(200).body(equalTo("hello world"));
        given().delete("/kv/{k}", p + "a").then().statusCode(204);
        given().get("/kv/{k}", p + "a").then().statusCode(404)
                .contentType(ContentType.JSON).body("error", equalTo("not found"));
    }

    @Test
    void deleteOfAnAbsentKeyIsNotAnError() {
        given().delete("/kv/{k}", p + "never").then().statusCode(204);
    }

    @Test
    void putOverwritesAndUnicodeRoundTrips() {
        given().body("1").put("/kv/{k}", p + "ü/x").then().statusCode(204);
        given().body("zwei – 2").contentType("text/plain; charset=UTF-8").put("/kv/{k}", p + "ü/x").then().statusCode(204);
        given().get("/kv/{k}", p + "ü/x").then().statusCode(200).body(equalTo("zwei – 2"));
    }

    @Test
    void prefixScanReturnsOnlyMatchingKeysInKeyOrder() {
        for (String k : new String[] { "c", "a", "b2", "b10" }) {
            given().body("v" + k).put("/kv/{k}", p + k).then().statusCode(204);
        }
        given().body("other").put("/kv/{k}", "zz" + p).then().statusCode(204);
        String body = given().queryParam("prefix", p).get("/kv").then().statusCode(200)
                .contentType(ContentType.JSON).extract().asString();
        assertThat(body).isEqualTo("{\"" + p + "a\":\"va\",\"" + p + "b10\":\"vb10\",\"" + p + "b2\":\"vb2\",\"" + p + "c\":\"vc\"}");
    }

    @Test
    void batchAppliesPutsAndDeletesTogether() {
        given().body("old").put("/kv/{k}", p + "gone").then().statusCode(204);
        given().contentType(ContentType.JSON)
                .body("[{\"op\":\"put\",\"key\":\"" + p + "x\",\"value\":\"1\"},{\"op\":\"put\",\"key\":\"" + p
                        + "y\",\"value\":\"2\"},{\"op\":\"del\",\"key\":\"" + p + "gone\"}]")
                .post("/kv/batch").then().statusCode(204);
        String body = given().queryParam("prefix", p).get("/kv").then().statusCode(200).extract().asString();
        assertThat(body).isEqualTo("{\"" + p + "x\":\"1\",\"" + p + "y\":\"2\"}");
    }

    @Test
    void invalidBatchIsRefusedWithA400AndChangesNothing() {
        given().contentType(ContentType.JSON)
                .body("[{\"op\":\"put\",\"key\":\"" + p + "x\",\"value\":\"1\"},{\"op\":\"frobnicate\",\"key\":\"" + p + "y\"}]")
                .post("/kv/batch").then().statusCode(400)
                .body("error", equalTo("bad batch"))
                .body("detail", containsString("frobnicate"));
        given().get("/kv/{k}", p + "x").then().statusCode(404);
    }

    @Test
    void putWithoutValueInBatchIsRefused() {
        given().contentType(ContentType.JSON).body("[{\"op\":\"put\",\"key\":\"" + p + "x\"}]")
                .post("/kv/batch").then().statusCode(400).body("detail", containsString("has no value"));
    }

    @Test
    void malformedJsonGetsA400NamingTheProblem() {
        given().contentType(ContentType.JSON).body("[{\"op\":").post("/kv/batch").then().statusCode(400)
                .contentType(ContentType.JSON).body("error", equalTo("malformed JSON"));
    }

    @Test
    void oversizedKeyGetsA400AndTheBatchChangesNothing() {
        String key = p + "k".repeat(17 * 1024);
        given().contentType(ContentType.JSON)
                .body("[{\"op\":\"put\",\"key\":\"" + p + "ok\",\"value\":\"1\"},{\"op\":\"put\",\"key\":\"" + key
                        + "\",\"value\":\"1\"}]")
                .post("/kv/batch").then().statusCode(400)
                .contentType(ContentType.JSON).body("detail", containsString("limit"));
        given().get("/kv/{k}", p + "ok").then().statusCode(404);
    }
}
