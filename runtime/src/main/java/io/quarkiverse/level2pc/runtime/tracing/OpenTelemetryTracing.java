package io.quarkiverse.level2pc.runtime.tracing;

import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Tracing;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;

/**
 * The node's spans in OpenTelemetry, when the application has {@code quarkus-opentelemetry} (the extension depends on
 * the OpenTelemetry API optionally; this bean exists only then). Instrumentation scope {@value #SCOPE}; the span names
 * and attributes are listed in the operations guide.
 */
@Singleton
public class OpenTelemetryTracing implements Tracing {

    /** The instrumentation scope of the spans. */
    public static final String SCOPE = "io.quarkiverse.level2pc";

    @Inject
    OpenTelemetry openTelemetry;

    @Inject
    Level2pcConfig config;

    /**
     * Quarkus's switch for the whole OpenTelemetry SDK. Switched off ({@code true}), the injected
     * {@code OpenTelemetry} still builds recording spans that go nowhere (measured: 3.5 % of a 3-node cluster's CPU at
     * 64 clients), so the node traces nothing instead, as Quarkus's own instrumentations do.
     */
    @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false")
    boolean sdkDisabled;

    private Tracer tracer;
    private String node;

    @PostConstruct
    void init() {
        tracer = openTelemetry.getTracer(SCOPE);
        node = config.nodeName();
    }

    @Override
    public boolean active() {
        return !sdkDisabled;
    }

    @Override
    public Span write() {
        return start(builder("level-2pc write", SpanKind.INTERNAL));
    }

    @Override
    public Span transaction(Span parent, BranchId id, int peers, boolean external) {
        SpanBuilder b = builder("level-2pc transaction", SpanKind.INTERNAL)
                .setAttribute("level2pc.transaction", id.toString())
                .setAttribute("level2pc.peers", peers)
                .setAttribute("level2pc.external", external);
        if (parent instanceof OtelSpan p) {
            b.setParent(p.context);
        }
        return start(b);
    }

    @Override
    public Span call(Span parent, String operation, String peer, BranchId id) {
        if (!(parent instanceof OtelSpan p)) {
            return Span.NONE;
        }
        return start(builder("level-2pc " + operation, SpanKind.CLIENT).setParent(p.context)
                .setAttribute("level2pc.peer", peer)
                .setAttribute("level2pc.transaction", id.toString()));
    }

    @Override
    public Span handling(String traceparent, String operation, String sender, BranchId id) {
        SpanContext remote = SpanContext.createFromRemoteParent(traceparent.substring(3, 35), traceparent.substring(36, 52),
                TraceFlags.fromHex(traceparent, 53), TraceState.getDefault());
        if (!remote.isValid()) {
            return Span.NONE;
        }
        SpanBuilder b = builder("level-2pc participant " + operation, SpanKind.SERVER)
                .setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(remote)))
                .setAttribute("level2pc.sender", sender);
        if (id != null) {
            b.setAttribute("level2pc.transaction", id.toString());
        }
        return start(b);
    }

    @Override
    public Span recovery(String what, BranchId id) {
        return start(builder("level-2pc " + what, SpanKind.INTERNAL).setNoParent()
                .setAttribute("level2pc.transaction", id.toString()));
    }

    private SpanBuilder builder(String name, SpanKind kind) {
        return tracer.spanBuilder(name).setSpanKind(kind).setAttribute("level2pc.node", node);
    }

    private static Span start(SpanBuilder b) {
        io.opentelemetry.api.trace.Span s = b.startSpan();
        return s.getSpanContext().isValid() ? new OtelSpan(s) : Span.NONE;
    }

    /** An OpenTelemetry span, and the context whose children it parents. */
    private static final class OtelSpan implements Span {
        final io.opentelemetry.api.trace.Span span;
        final Context context;

        OtelSpan(io.opentelemetry.api.trace.Span span) {
            this.span = span;
            this.context = Context.root().with(span);
        }

        @Override
        public String traceparent() {
            SpanContext c = span.getSpanContext();
            return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
        }

        @Override
        public void end(Throwable failure) {
            if (failure != null) {
                span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                span.recordException(failure);
            }
            span.end();
        }
    }
}
