package io.quarkiverse.level2pc.jta;

import java.util.Arrays;

import com.arjuna.ats.arjuna.common.Uid;
import com.arjuna.ats.arjuna.coordinator.ActionManager;

import io.quarkiverse.level2pc.core.BranchId;

/**
 * Whether a branch belongs to a transaction that this JVM's Narayana is still running. Recovery must
 * never see such a branch: Narayana's orphan detection is time-based ({@code orphanSafetyInterval}),
 * so a transaction whose prepare phase outlasts it (a slow peer) could otherwise have its prepared
 * branches rolled back under it while it goes on to commit. Excluding in-flight transactions makes
 * presumed abort safe whatever the timings.
 */
final class InFlight {

    /** Narayana's format id for the Xids of its JTA transactions. */
    static final int NARAYANA_FORMAT_ID = 131077;
    /** Narayana's global transaction id starts with the 28-byte form of the transaction's Uid. */
    static final int UID_BYTES = 28;

    private InFlight() {
    }

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
}
