package io.quarkiverse.level2pc.jta;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.arjuna.ats.arjuna.common.Uid;
import com.arjuna.ats.arjuna.coordinator.ActionManager;
import com.arjuna.ats.arjuna.coordinator.ActionStatus;
import com.arjuna.ats.arjuna.coordinator.BasicAction;
import com.arjuna.ats.arjuna.objectstore.StateStatus;
import com.arjuna.ats.arjuna.objectstore.StoreManager;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Outcome;

/**
 * What this JVM's Narayana knows of one of its transactions, for the branches it prepared through this
 * node (two-phase commit with another resource): a transaction still running is in progress (or decided,
 * once it commits or aborts); one with a log record in the object store was decided commit (Narayana writes
 * its log only after every branch voted YES); anything else is rolled back (presumed abort).
 */
public final class NarayanaLog {

    /** Narayana's format id for the Xids of its JTA transactions. */
    static final int NARAYANA_FORMAT_ID = 131077;
    /** Narayana's global transaction id starts with the 28-byte form of the transaction's Uid. */
    static final int UID_BYTES = 28;
    /** Narayana's object-store type of a JTA transaction's log record. */
    static final String ATOMIC_ACTION_TYPE = "/StateManager/BasicAction/TwoPhaseCoordinator/AtomicAction";

    private final String nodeName;

    public NarayanaLog(String nodeName) {
        this.nodeName = nodeName;
    }

    /**
     * Narayana's answer for {@code branch}: {@link Outcome#UNKNOWN} if it is not a Narayana transaction of this
     * node.
     *
     * @throws IllegalStateException if the object store cannot be read
     */
    public Outcome outcomeOf(BranchId branch) {
        Uid uid = uidOf(branch);
        if (uid == null) {
            return Outcome.UNKNOWN;
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
        try {
            int state = StoreManager.getRecoveryStore().currentState(uid, ATOMIC_ACTION_TYPE);
            return state == StateStatus.OS_UNKNOWN ? Outcome.ROLLED_BACK : Outcome.COMMITTED;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read Narayana's object store: " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code branch} belongs to a transaction that this JVM's Narayana is still running. Recovery must
     * never see such a branch: Narayana's orphan detection is time-based ({@code orphanSafetyInterval}), so a
     * transaction whose prepare phase outlasts it (a slow peer) could otherwise have its prepared branches
     * rolled back under it while it goes on to commit.
     */
    static boolean isInFlight(BranchId branch) {
        if (branch.formatId() != NARAYANA_FORMAT_ID || branch.gtrid().length() < UID_BYTES) {
            return false;
        }
        try {
            Uid uid = new Uid(Arrays.copyOf(branch.gtrid().unsafeArray(), UID_BYTES));
            return uid.valid() && ActionManager.manager().get(uid) != null;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code branch} is a Narayana transaction coordinated by this node. */
    boolean isOwn(BranchId branch) {
        return uidOf(branch) != null;
    }

    private Uid uidOf(BranchId branch) {
        byte[] gtrid = branch.gtrid().unsafeArray();
        if (branch.formatId() != NARAYANA_FORMAT_ID || gtrid.length <= UID_BYTES
                || !new String(gtrid, UID_BYTES, gtrid.length - UID_BYTES, StandardCharsets.UTF_8).equals(nodeName)) {
            return null;
        }
        Uid uid = new Uid(Arrays.copyOf(gtrid, UID_BYTES));
        return uid.valid() ? uid : null;
    }
}
