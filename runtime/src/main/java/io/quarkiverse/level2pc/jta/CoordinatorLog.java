package io.quarkiverse.level2pc.jta;

import java.util.Arrays;

import com.arjuna.ats.arjuna.common.Uid;
import com.arjuna.ats.arjuna.coordinator.ActionManager;
import com.arjuna.ats.arjuna.coordinator.ActionStatus;
import com.arjuna.ats.arjuna.coordinator.BasicAction;
import com.arjuna.ats.arjuna.objectstore.StateStatus;
import com.arjuna.ats.arjuna.objectstore.StoreManager;

import io.quarkiverse.level2pc.core.BranchId;

/**
 * The coordinator's answer to "what became of this transaction?" (the callback site), read from
 * Narayana: a transaction still running here is in progress (or decided, once it commits or aborts);
 * one with the node's own commit decision (kept in its store until every peer committed) or a log
 * record in the object store was decided commit (Narayana writes its log only after
 * every branch voted YES); anything else is rolled back (presumed abort).
 */
public final class CoordinatorLog {

    /** Narayana's object-store type of a JTA transaction's log record. */
    static final String ATOMIC_ACTION_TYPE = "/StateManager/BasicAction/TwoPhaseCoordinator/AtomicAction";

    public enum Outcome {
        IN_PROGRESS,
        COMMITTED,
        ROLLED_BACK,
        /** Not a Narayana transaction of this node: ask its coordinator. */
        NOT_COORDINATOR
    }

    private CoordinatorLog() {
    }

    /**
     * What this node, as coordinator, knows of the transaction of {@code branch}: checked in the order
     * running transaction, own commit decision, Narayana's log, else presumed abort.
     *
     * @param decided whether the node holds its own durable commit decision for a global transaction id
     *        (kept until every peer acknowledged, after Narayana deleted its log)
     */
    public static Outcome outcomeOf(BranchId branch, String nodeName, java.util.function.Predicate<io.quarkiverse.level2pc.core.Bytes> decided) {
        byte[] gtrid = branch.gtrid().unsafeArray();
        if (branch.formatId() != InFlight.NARAYANA_FORMAT_ID || gtrid.length <= InFlight.UID_BYTES
                || !new String(gtrid, InFlight.UID_BYTES, gtrid.length - InFlight.UID_BYTES,
                        java.nio.charset.StandardCharsets.UTF_8).equals(nodeName)) {
            return Outcome.NOT_COORDINATOR;
        }
        Uid uid = new Uid(Arrays.copyOf(gtrid, InFlight.UID_BYTES));
        if (!uid.valid()) {
            return Outcome.NOT_COORDINATOR;
        }
        BasicAction running = ActionManager.manager().get(uid);
        if (running != null) {
            int s = running.status();
            if (s == ActionStatus.COMMITTING || s == ActionStatus.COMMITTED || s == ActionStatus.H_COMMIT) {
                return Outcome.COMMITTED;
            }
            if (s == ActionStatus.ABORTING || s == ActionStatus.ABORTED || s == ActionStatus.H_ROLLBACK) {
                return Outcome.ROLLED_BACK;
            }
            return Outcome.IN_PROGRESS;
        }
        if (decided.test(branch.gtrid())) {
            return Outcome.COMMITTED;
        }
        try {
            int state = StoreManager.getRecoveryStore().currentState(uid, ATOMIC_ACTION_TYPE);
            return state == StateStatus.OS_UNKNOWN ? Outcome.ROLLED_BACK : Outcome.COMMITTED;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read Narayana's object store: " + e.getMessage(), e);
        }
    }
}
