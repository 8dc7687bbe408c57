package io.quarkiverse.level2pc.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.node.Tracing;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The demo has {@code quarkus-opentelemetry} with {@code quarkus.otel.sdk.disabled=true}: the extension's tracing
 * adapter is there but inactive, so the node traces nothing (Quarkus's SDK-less {@code OpenTelemetry} would still build
 * recording spans). {@code TracingIT} covers the SDK switched on.
 */
@QuarkusTest
class TracingOffTest {

    @Inject
    Instance<Tracing> tracing;

    @Test
    void anApplicationWithTheSdkSwitchedOffGetsNoSpans() {
        assertTrue(tracing.isResolvable(), "the OpenTelemetry adapter is a bean when the application has quarkus-opentelemetry");
        assertFalse(tracing.get().active(), "quarkus.otel.sdk.disabled=true must switch the node's tracing off");
    }
}
