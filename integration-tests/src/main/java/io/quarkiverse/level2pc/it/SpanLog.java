package io.quarkiverse.level2pc.it;

import java.util.Collection;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * With {@code kv-demo.log-spans=true} (and tracing on: {@code quarkus.otel.sdk.disabled=false}), every finished span is
 * logged, one line each: {@code span 'name' trace=<id> span=<id> parent=<id> kind=<kind> attributes=...}. A way to see
 * the traces of a node without a collector (the cluster tests read them from the nodes' logs); an OTLP collector,
 * when one is configured, gets them as well.
 */
@Singleton
public class SpanLog implements SpanExporter {

    private static final Logger LOG = Logger.getLogger(SpanLog.class);

    @ConfigProperty(name = "kv-demo.log-spans", defaultValue = "false")
    boolean enabled;

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        if (enabled) {
            for (SpanData s : spans) {
                LOG.infof("span '%s' trace=%s span=%s parent=%s kind=%s status=%s attributes=%s", s.getName(), s.getTraceId(),
                        s.getSpanId(), s.getParentSpanId(), s.getKind(), s.getStatus().getStatusCode(), s.getAttributes().asMap());
            }
        }
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
