package io.quarkiverse.level2pc.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * With {@code quarkus-micrometer-registry-prometheus} in the application, {@code /q/metrics} shows the level-2pc
 * metrics with live values: committed transactions and conflicts counted by outcome, store writes and syncs, the
 * node's readiness.
 */
@QuarkusTest
class MetricsTest {

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as("series %s in%n%s", series, metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void writesShowInTheMetrics() {
        String before = metrics();
        double committed = before.contains("level2pc_transactions_seconds_count{outcome=\"committed\"}")
                ? value(before, "level2pc_transactions_seconds_count{outcome=\"committed\"}")
                : 0;
        double writes = value(before, "level2pc_store_writes_total");
        String p = "metrics-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 5; i++) {
            given().body("v").put("/kv/{k}", p + i).then().statusCode(204);
        }
        // a transaction is counted as it ends, which may be just after its caller was answered
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> value(metrics(), "level2pc_transactions_seconds_count{outcome=\"committed\"}") >= committed + 5);
        String after = metrics();
        assertThat(value(after, "level2pc_transactions_seconds_count{outcome=\"committed\"}")).isGreaterThanOrEqualTo(committed + 5);
        assertThat(value(after, "level2pc_transactions_seconds_max{outcome=\"committed\"}")).isPositive();
        assertThat(after).contains("level2pc_transactions_seconds_bucket{outcome=\"committed\",le=");
        assertThat(value(after, "level2pc_store_writes_total")).isGreaterThanOrEqualTo(writes + 5);
        assertThat(value(after, "level2pc_store_syncs_total")).isPositive();
        assertThat(value(after, "level2pc_ready")).isEqualTo(1.0);
        assertThat(value(after, "level2pc_branches_in_doubt")).isZero();
        assertThat(value(after, "level2pc_peers")).isZero();
    }
}
