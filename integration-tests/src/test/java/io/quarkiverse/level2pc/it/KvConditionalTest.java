package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * The conditional and paged part of the demo's /kv contract: {@code ETag} on reads, {@code If-None-Match: *} and
 * {@code If-Match} on writes (412 with a JSON error when the condition fails), {@code If-None-Match} on reads (304),
 * paged prefix scans with their headers, and prefix deletes.
 */
@QuarkusTest
class KvConditionalTest {

    private final String p = "kvc-" + UUID.randomUUID() + "-";

    private String etag(String key) {
        return given().get("/kv/{k}", key).then().statusCode(200).extract().header("ETag");
    }

    @Test
    void getAnswersAQuotedETagThatChangesWithEveryWrite() {
        given().body("v").put("/kv/{k}", p + "e").then().statusCode(204);
        String first = etag(p + "e");
        assertThat(first).matches("\"[A-Za-z0-9_-]+\"");
        assertThat(etag(p + "e")).isEqualTo(first);
        given().body("v").put("/kv/{k}", p + "e").then().statusCode(204);
        assertThat(etag(p + "e")).isNotEqualTo(first);
        given().header("If-None-Match", etag(p + "e")).get("/kv/{k}", p + "e").then().statusCode(304);
        given().header("If-None-Match", first).get("/kv/{k}", p + "e").then().statusCode(200).body(equalTo("v"));
    }

    @Test
    void ifNoneMatchStarCreatesOnlyOnce() {
        given().header("If-None-Match", "*").body("one").put("/kv/{k}", p + "c").then().statusCode(204);
        given().header("If-None-Match", "*").body("two").put("/kv/{k}", p + "c").then().statusCode(412)
                .contentType(ContentType.JSON).body("error", equalTo("precondition failed"))
                .body("detail", containsString("exists"));
        given().get("/kv/{k}", p + "c").then().body(equalTo("one"));
        given().header("If-None-Match", "\"x\"").body("three").put("/kv/{k}", p + "c").then().statusCode(400)
                .body("detail", containsString("If-None-Match: *"));
    }

    @Test
    void ifMatchWritesOnlyOverTheVersionNamed() {
        given().body("1").put("/kv/{k}", p + "m").then().statusCode(204);
        String v1 = etag(p + "m");
        given().header("If-Match", v1).body("2").put("/kv/{k}", p + "m").then().statusCode(204);
        given().header("If-Match", v1).body("3").put("/kv/{k}", p + "m").then().statusCode(412)
                .body("error", equalTo("precondition failed"));
        given().get("/kv/{k}", p + "m").then().body(equalTo("2"));
        String v2 = etag(p + "m");
        given().header("If-Match", "\"nope\", " + v2).body("4").put("/kv/{k}", p + "m").then().statusCode(204);
        given().header("If-Match", "*").body("5").put("/kv/{k}", p + "m").then().statusCode(204);
        given().header("If-Match", "*").body("x").put("/kv/{k}", p + "absent").then().statusCode(412);
        given().get("/kv/{k}", p + "absent").then().statusCode(404);
        // a weak tag never matches a strong comparison
        given().header("If-Match", "W/" + etag(p + "m")).body("weak").put("/kv/{k}", p + "m").then().statusCode(412);
    }

    @Test
    void deleteWithIfMatch() {
        given().body("1").put("/kv/{k}", p + "d").then().statusCode(204);
        String v1 = etag(p + "d");
        given().body("2").put("/kv/{k}", p + "d").then().statusCode(204);
        given().header("If-Match", v1).delete("/kv/{k}", p + "d").then().statusCode(412);
        given().get("/kv/{k}", p + "d").then().statusCode(200);
        given().header("If-Match", etag(p + "d")).delete("/kv/{k}", p + "d").then().statusCode(204);
        given().get("/kv/{k}", p + "d").then().statusCode(404);
        given().header("If-Match", v1).delete("/kv/{k}", p + "d").then().statusCode(412);
    }

    @Test
    void pagedScans() {
        for (String k : new String[] { "a", "b", "c", "d", "e" }) {
            given().body("v" + k).put("/kv/{k}", p + k).then().statusCode(204);
        }
        Response r = given().queryParam("prefix", p).queryParam("limit", 2).get("/kv");
        r.then().statusCode(200).header("X-Result-Limit", "2").header("X-Result-Truncated", "true");
        assertThat(r.asString()).isEqualTo("{\"" + p + "a\":\"va\",\"" + p + "b\":\"vb\"}");

        r = given().queryParam("prefix", p).queryParam("limit", 2).queryParam("after", p + "b").get("/kv");
        assertThat(r.asString()).isEqualTo("{\"" + p + "c\":\"vc\",\"" + p + "d\":\"vd\"}");

        r = given().queryParam("prefix", p).queryParam("limit", 2).queryParam("after", p + "d").get("/kv");
        r.then().header("X-Result-Truncated", "false");
        assertThat(r.asString()).isEqualTo("{\"" + p + "e\":\"ve\"}");

        r = given().queryParam("prefix", p).queryParam("reverse", "true").queryParam("limit", 3).get("/kv");
        assertThat(r.asString()).isEqualTo("{\"" + p + "e\":\"ve\",\"" + p + "d\":\"vd\",\"" + p + "c\":\"vc\"}");
        r = given().queryParam("prefix", p).queryParam("reverse", "true").queryParam("after", p + "c").get("/kv");
        assertThat(r.asString()).isEqualTo("{\"" + p + "b\":\"vb\",\"" + p + "a\":\"va\"}");
        r.then().header("X-Result-Limit", String.valueOf(KvResource.MAX_ENTRIES)).header("X-Result-Truncated", "false");

        given().queryParam("limit", 0).get("/kv").then().statusCode(400).contentType(ContentType.JSON)
                .body("detail", containsString("limit must be a whole number from 1 to 1000"));
        given().queryParam("limit", "many").get("/kv").then().statusCode(400);
        given().queryParam("reverse", "maybe").get("/kv").then().statusCode(400).body("detail", containsString("reverse"));
    }

    @Test
    void withoutALimitTheAnswerIsCapped() {
        StringBuilder ops = new StringBuilder("[");
        for (int i = 0; i < KvResource.MAX_ENTRIES + 5; i++) {
            ops.append(i == 0 ? "" : ",").append("{\"op\":\"put\",\"key\":\"").append(p).append(String.format("%05d", i))
                    .append("\",\"value\":\"x\"}");
        }
        given().contentType(ContentType.JSON).body(ops.append("]").toString()).post("/kv/batch").then().statusCode(204);
        Response r = given().queryParam("prefix", p).get("/kv");
        r.then().statusCode(200).header("X-Result-Limit", "1000").header("X-Result-Truncated", "true");
        assertThat(r.jsonPath().getMap("$")).hasSize(KvResource.MAX_ENTRIES);
    }

    @Test
    void deleteByPrefix() {
        for (String k : new String[] { "x1", "x2", "x3" }) {
            given().body("v").put("/kv/{k}", p + k).then().statusCode(204);
        }
        given().body("keep").put("/kv/{k}", p + "y").then().statusCode(204);
        given().queryParam("prefix", p + "x").delete("/kv").then().statusCode(200).contentType(ContentType.JSON)
                .body("deleted", equalTo(3));
        given().queryParam("prefix", p).get("/kv").then().body(equalTo("{\"" + p + "y\":\"keep\"}"));
        given().queryParam("prefix", p + "x").delete("/kv").then().statusCode(200).body("deleted", equalTo(0));
        given().delete("/kv").then().statusCode(400).body("detail", containsString("prefix"));
    }
}
