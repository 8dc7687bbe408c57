package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkus.test.QuarkusUnitTest;

/**
 * The operator's view of a transaction in doubt whose coordinator is gone for good: health and
 * {@code GET /level-2pc/admin/in-doubt} show it with its coordinator and age, the endpoints refuse
 * callers without the cluster secret, and a forced commit applies the branch, is recorded as a
 * heuristic decision and cannot be repeated.
 */
public class InDoubtAdminEndpointsTest {

    private static final String SECRET = "admin-test-secret-0123456789";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "admin-node")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", SECRET)
            .overrideConfigKey("quarkus.level-2pc.in-doubt-after", "0s")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "300ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(InDoubtAdminEndpointsTest.class));

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;

    @Test
    void inDoubtBranchIsListedAndCanBeCommittedByHandOnce() {
        BranchId id = new BranchId(131077, Bytes.utf8("gtrid-of-a-lost-coordinator"), Bytes.utf8("bq"));
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), "forced".getBytes(StandardCharsets.UTF_8)),
                "by-hand".getBytes(StandardCharsets.UTF_8));
        LocalNode local = node.nodeIfOpen().local();
        assertThat(local.prepare(id, new TxWork(writes, Map.of(), "lost-node")).join()).isEqualTo(Vote.YES);

        given().get("/level-2pc/admin/in-doubt").then().statusCode(401)
                .body("detail", containsString("Authorization: Bearer"));
        given().header("Authorization", "Bearer wrong-secret-0123456789").get("/level-2pc/admin/in-doubt").then()
                .statusCode(401).body("detail", startsWith("wrong cluster secret"));

        given().header("Authorization", "Bearer " + SECRET).get("/level-2pc/admin/in-doubt").then().statusCode(200)
                .body("node", equalTo("admin-node"))
                .body("inDoubt", hasSize(1))
                .body("inDoubt[0].branch", equalTo(id.toString()))
                .body("inDoubt[0].coordinator", equalTo("lost-node"))
                .body("inDoubt[0].writes", equalTo(1))
                .body("inDoubt[0].ageMillis", greaterThanOrEqualTo(0));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt'", equalTo(1))
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt-waiting'", equalTo(1))
                // Which branches and their coordinators: only on the authenticated admin endpoint, not in public health.
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt " + id + "'", nullValue())
                .body(not(containsString("lost-node")));

        given().header("Authorization", "Bearer " + SECRET).post("/level-2pc/admin/in-doubt/not-a-branch/commit").then()
                .statusCode(400).body("detail", containsString("formatId:gtrid-hex:bqual-hex"));
        given().header("Authorization", "Bearer " + SECRET).post("/level-2pc/admin/in-doubt/" + id + "/maybe").then()
                .statusCode(404);
        // Without the secret nothing is decided.
        given().post("/level-2pc/admin/in-doubt/" + id + "/commit").then().statusCode(401);
        assertThat(local.prepared()).containsExactly(id);

        given().header("Authorization", "Bearer " + SECRET).post("/level-2pc/admin/in-doubt/" + id + "/commit").then()
                .statusCode(200).body("outcome", equalTo("COMMITTED")).body("heuristic", equalTo(true));

        assertThat(db.get("forced")).isEqualTo("by-hand");
        assertThat(local.prepared()).isEmpty();
        given().header("Authorization", "Bearer " + SECRET).get("/level-2pc/admin/in-doubt").then().statusCode(200)
                .body("inDoubt", hasSize(0))
                .body("heuristics[0].branch", equalTo(id.toString()))
                .body("heuristics[0].outcome", equalTo("COMMITTED"));
        given().header("Authorization", "Bearer " + SECRET).post("/level-2pc/admin/in-doubt/" + id + "/rollback").then()
                .statusCode(404).body("error", equalTo("not in doubt"));
        assertThat(db.get("forced")).isEqualTo("by-hand");
    }
}
