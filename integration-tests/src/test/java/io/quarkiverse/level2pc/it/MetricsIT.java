package io.quarkiverse.level2pc.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same against the packaged application (a separate JVM). */
@QuarkusIntegrationTest
class MetricsIT extends MetricsTest {
}
