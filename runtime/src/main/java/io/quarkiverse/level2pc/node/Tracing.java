package io.quarkiverse.level2pc.node;

import io.quarkiverse.level2pc.core.BranchId;

/**
 * Where a node reports the spans of its work, for distributed tracing: the transactions it coordinates, its calls to
 * peers, the peers' messages it handles, its recovery passes. Free of any tracing library: the application glue
 * adapts it (to OpenTelemetry when the application has it). A call's trace context travels to the peer as a W3C
 * {@code traceparent} inside the signed message (see {@link Span#traceparent()}). Implementations must be quick and
 * must not throw.
 */
public interface Tracing {

    /** Traces nothing. */
    Tracing NONE = new Tracing() {
        @Override
        public boolean active() {
            return false;
        }
    };

    /**
     * Whether this records anything. An inactive one is replaced by {@link #NONE} where the node is assembled, so that
     * nothing is started, propagated or signed for it (a tracing library whose SDK is switched off still builds and
     * ends recording spans if asked to).
     */
    default boolean active() {
        return true;
    }

    /**
     * Starts the span of a standalone write (one call of the API outside a JTA transaction), over all its attempts: a
     * child of the caller's current trace context, if any.
     */
    default Span write() {
        return Span.NONE;
    }

    /**
     * Starts the span of a transaction this node coordinates (one attempt): a child of {@code parent}, or if that is
     * {@link Span#NONE}, of the caller's current trace context, if any.
     */
    default Span transaction(Span parent, BranchId id, int peers, boolean external) {
        return Span.NONE;
    }

    /** Starts the span of one call to a peer ({@code prepare}, {@code commit}, {@code rollback}), a child of {@code parent}. */
    default Span call(Span parent, String operation, String peer, BranchId id) {
        return Span.NONE;
    }

    /**
     * Starts the span of a peer's message handled here, a child of the remote context {@code traceparent} (W3C); an
     * invalid {@code traceparent} starts none.
     */
    default Span handling(String traceparent, String operation, String sender, BranchId id) {
        return Span.NONE;
    }

    /**
     * Starts the span of one recovery step of this node about transaction {@code id} ({@code what}: {@code resend commit},
     * {@code resolve in-doubt branch}).
     */
    default Span recovery(String what, BranchId id) {
        return Span.NONE;
    }

    /** One span. */
    interface Span {

        /** No span: nothing recorded, nothing propagated. */
        Span NONE = new Span() {
        };

        /** This span's context as a W3C {@code traceparent}, or {@code null} if there is none to propagate. */
        default String traceparent() {
            return null;
        }

        /** Ends the span; {@code failure} ({@code null} if it succeeded) sets its status and is recorded. */
        default void end(Throwable failure) {
        }
    }
}
