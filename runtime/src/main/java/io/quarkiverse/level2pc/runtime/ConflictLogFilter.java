package io.quarkiverse.level2pc.runtime;

import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.transaction.xa.XAException;

import io.quarkiverse.level2pc.jta.ClusterResource;

/**
 * Keeps Narayana from logging a warning with a stack trace for every conflict. When the cluster is a
 * transaction's only resource, Narayana commits it in one phase, and a conflict (our 2PC voted NO) is
 * answered {@code XA_RB*}: Narayana rolls back, the application gets its {@code RollbackException} with the
 * conflict as cause, and Narayana also logs {@code ARJUNA016039} at WARN with the whole stack. On a hot spot
 * that was thousands of warnings a second, each costing CPU, for an outcome the application already handles.
 * Only those records are dropped: a one-phase failure of another resource, or of ours with any other error
 * code ({@code XAER_RMFAIL}, heuristics), is logged as before.
 */
final class ConflictLogFilter implements Filter {

    static final String LOGGER = "com.arjuna.ats.jta";
    static final String ONE_PHASE_FAILED = "ARJUNA016039";
    /** Held strongly: a logger nobody references may be collected, with its filter. */
    private static Logger narayana;

    private final Filter previous;

    private ConflictLogFilter(Filter previous) {
        this.previous = previous;
    }

    static synchronized void install() {
        if (narayana == null) {
            narayana = Logger.getLogger(LOGGER);
            narayana.setFilter(new ConflictLogFilter(narayana.getFilter()));
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (isOurConflict(record)) {
            return false;
        }
        return previous == null || previous.isLoggable(record);
    }

    static boolean isOurConflict(LogRecord record) {
        String message = record.getMessage();
        if (message == null || !message.contains(ONE_PHASE_FAILED) || !(record.getThrown() instanceof XAException x)) {
            return false;
        }
        if (x.errorCode < XAException.XA_RBBASE || x.errorCode > XAException.XA_RBEND) {
            return false;
        }
        Object[] params = record.getParameters();
        if (params != null) {
            for (Object p : params) {
                if (String.valueOf(p).contains(ClusterResource.NAME)) {
                    return true;
                }
            }
        }
        return message.contains(ClusterResource.NAME);
    }
}
