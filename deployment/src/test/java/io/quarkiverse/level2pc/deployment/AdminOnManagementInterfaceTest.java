package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.QuarkusUnitTest;

/**
 * With the management interface enabled, the admin endpoints are there and not on the application's port; a user that
 * Quarkus Security authenticated (basic auth on the management interface, users from the embedded realm) is let in
 * with the role {@code quarkus.level-2pc.admin-role} and refused (403) without it; the cluster secret as a bearer
 * token still works as the fallback; nothing else gets in.
 */
public class AdminOnManagementInterfaceTest {

    private static final String SECRET = "management-test-secret-0123456789";
    private static final int MANAGEMENT_PORT = 9771;

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.management.enabled", "true")
            .overrideConfigKey("quarkus.management.test-port", Integer.toString(MANAGEMENT_PORT))
            .overrideConfigKey("quarkus.management.auth.basic", "true")
            .overrideConfigKey("quarkus.security.users.embedded.enabled", "true")
            .overrideConfigKey("quarkus.security.users.embedded.plain-text", "true")
            .overrideConfigKey("quarkus.security.users.embedded.users.operator", "op-password")
            .overrideConfigKey("quarkus.security.users.embedded.roles.operator", "level-2pc-admin")
            .overrideConfigKey("quarkus.security.users.embedded.users.viewer", "view-password")
            .overrideConfigKey("quarkus.security.users.embedded.roles.viewer", "viewer")
            .overrideConfigKey("quarkus.level-2pc.node-name", "managed")
            .overrideConfigKey("quarkus.level-2pc.cluster-secret", SECRET)
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(AdminOnManagementInterfaceTest.class));

    private static final String IN_DOUBT = "http://localhost:" + MANAGEMENT_PORT + "/level-2pc/admin/in-doubt";

    @Test
    void aUserWithTheRoleIsLetIn() {
        given().auth().preemptive().basic("operator", "op-password").get(IN_DOUBT)
                .then().statusCode(200).body("node", equalTo("managed"));
    }

    @Test
    void aUserWithoutTheRoleIsRefused() {
        given().auth().preemptive().basic("viewer", "view-password").get(IN_DOUBT)
                .then().statusCode(403)
                .body("error", equalTo("forbidden"))
                .body("detail", containsString("level-2pc-admin"))
                .body("detail", containsString("quarkus.level-2pc.admin-role"));
    }

    @Test
    void theClusterSecretIsTheFallback() {
        given().header("Authorization", "Bearer " + SECRET).get(IN_DOUBT).then().statusCode(200);
        given().header("Authorization", "Bearer wrong").get(IN_DOUBT).then().statusCode(401)
                .body("detail", containsString("wrong cluster secret"));
    }

    @Test
    void nobodyElseGetsIn() {
        given().get(IN_DOUBT).then().statusCode(401).body("error", equalTo("unauthorized"));
        given().auth().preemptive().basic("operator", "wrong-password").get(IN_DOUBT).then().statusCode(401);
    }

    @Test
    void theApplicationPortHasNoAdminEndpoints() {
        given().header("Authorization", "Bearer " + SECRET).get("/level-2pc/admin/in-doubt").then().statusCode(404);
    }
}
