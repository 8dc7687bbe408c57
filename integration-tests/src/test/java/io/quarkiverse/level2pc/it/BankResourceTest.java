package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** The /bank part of the demo app's HTTP contract, including transfers under concurrency. */
@QuarkusTest
class BankResourceTest {

    @TestHTTPResource("/")
    URI base;

    private final String p = "acct-" + UUID.randomUUID() + "-";

    private void open(String id, long balance) {
        given().contentType(ContentType.JSON).body("{\"balance\":" + balance + "}").put("/bank/accounts/{id}", id)
                .then().statusCode(204);
    }

    private long total() {
        return given().get("/bank/total").then().statusCode(200).extract().jsonPath().getLong("total");
    }

    @Test
    void transferMovesMoneyAndKeepsTheTotal() {
        long before = total();
        open(p + "a", 100);
        open(p + "b", 5);
        given().contentType(ContentType.JSON).body("{\"from\":\"" + p + "a\",\"to\":\"" + p + "b\",\"amount\":30}")
                .post("/bank/transfer").then().statusCode(200)
                .body("from.balance", equalTo(70)).body("to.balance", equalTo(35));
        given().get("/bank/accounts/{id}", p + "a").then().statusCode(200)
                .body("id", equalTo(p + "a")).body("balance", equalTo(70));
        assertThat(total()).isEqualTo(before + 105);
    }

    @Test
    void insufficientFundsIs422AndChangesNothing() {
        open(p + "a", 10);
        open(p + "b", 0);
        given().contentType(ContentType.JSON).body("{\"from\":\"" + p + "a\",\"to\":\"" + p + "b\",\"amount\":11}")
                .post("/bank/transfer").then().statusCode(422)
                .contentType(ContentType.JSON).body("error", equalTo("insufficient funds"));
        given().get("/bank/accounts/{id}", p + "a").then().body("balance", equalTo(10));
        given().get("/bank/accounts/{id}", p + "b").then().body("balance", equalTo(0));
    }

    @Test
    void unknownAccountIs404() {
        open(p + "a", 10);
        given().contentType(ContentType.JSON).body("{\"from\":\"" + p + "a\",\"to\":\"" + p + "nobody\",\"amount\":1}")
                .post("/bank/transfer").then().statusCode(404).body("detail", containsString("nobody"));
        given().get("/bank/accounts/{id}", p + "nobody").then().statusCode(404);
        given().get("/bank/accounts/{id}", p + "a").then().body("balance", equalTo(10));
    }

    @Test
    void badTransferRequestsAre400() {
        given().contentType(ContentType.JSON).body("{\"from\":\"x\",\"to\":\"y\",\"amount\":-5}")
                .post("/bank/transfer").then().statusCode(400).body("detail", containsString("positive"));
        given().contentType(ContentType.JSON).body("{\"from\":\"x\",\"amount\":5}")
                .post("/bank/transfer").then().statusCode(400).body("error", equalTo("bad transfer"));
        given().contentType(ContentType.JSON).body("{\"balance\":-1}").put("/bank/accounts/{id}", p + "neg")
                .then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"balance\":\"lots\"}").put("/bank/accounts/{id}", p + "neg")
                .then().statusCode(400).contentType(ContentType.JSON);
    }

    /**
     * Many threads transfer at random between a few accounts. Every 200 must be reflected, every 409
     * must not, and the total never changes.
     */
    @Test
    void concurrentTransfersKeepTheTotalAndLoseNoAcknowledgedTransfer() throws Exception {
        int accounts = 5;
        long initial = 1_000;
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < accounts; i++) {
            open(p + i, initial);
            expected.put(p + i, initial);
        }
        long totalBefore = total();
        HttpClient http = HttpClient.newHttpClient();
        int threads = 8;
        int perThread = 40;
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<long[]>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = 1000L + t;
            results.add(pool.submit(() -> {
                Random rnd = new Random(seed);
                List<long[]> applied = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    int from = rnd.nextInt(accounts);
                    int to = (from + 1 + rnd.nextInt(accounts - 1)) % accounts;
                    long amount = 1 + rnd.nextInt(50);
                    int status = transfer(http, p + from, p + to, amount);
                    if (status == 200) {
                        ok.incrementAndGet();
                        applied.add(new long[] { from, to, amount });
                    } else if (status == 409) {
                        conflicts.incrementAndGet();
                    } else if (status != 422) {
                        throw new AssertionError("unexpected status " + status);
                    }
                }
                return applied;
            }));
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        for (Future<List<long[]>> f : results) {
            for (long[] tr : f.get()) {
                expected.merge(p + tr[0], -tr[2], Long::sum);
                expected.merge(p + tr[1], tr[2], Long::sum);
            }
        }
        assertThat(ok.get()).as("some transfers succeed").isPositive();
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long actual = given().get("/bank/accounts/{id}", e.getKey()).then().statusCode(200).extract().jsonPath()
                    .getLong("balance");
            assertThat(actual).as("balance of %s (%d ok, %d conflicts)", e.getKey(), ok.get(), conflicts.get())
                    .isEqualTo(e.getValue());
        }
        assertThat(total()).isEqualTo(totalBefore);
    }

    private int transfer(HttpClient http, String from, String to, long amount) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/bank/transfer"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"amount\":" + amount + "}"))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
