package io.quarkiverse.level2pc.core;

import java.util.List;

/**
 * How a participant resolves a branch left in doubt (prepared, its decision not received), from the
 * answers it could get. Pure rules; the in-doubt resolver asks and carries out the result.
 */
public final class Resolution {

    private Resolution() {
    }

    /**
     * A branch this node took part in: its coordinator's answer decides it ({@code null}: no coordinator
     * could be asked). Returns the outcome to carry out, or {@code null} to stay in doubt (keys locked).
     */
    public static Outcome fromCoordinator(Outcome answer) {
        return answer != null && answer.isFinal() ? answer : null;
    }

    /**
     * A branch this node adopted while catching up (quorum mode): its coordinator never enlisted this node
     * and forgets a committed transaction once its participants acknowledged (then presumes abort), but
     * every participant of a transaction that committed without this node keeps a catch-up hint for it until
     * this node caught up with it. So: committed if the coordinator or a participant says so; rolled back
     * only if the coordinator answers rolled back (it no longer runs the transaction, so no participant can
     * still prepare it) and every participant answered that it holds neither the branch nor a hint
     * ({@link Outcome#UNKNOWN}); otherwise, or if some participant could not be asked ({@code null}), still
     * in doubt ({@code null}).
     *
     * @param coordinator the coordinator's answer, asked first ({@code null}: could not be asked)
     * @param participants each participant's answer, in any order ({@code null} entries: could not be asked)
     */
    public static Outcome adopted(Outcome coordinator, List<Outcome> participants) {
        if (coordinator == Outcome.COMMITTED) {
            return Outcome.COMMITTED;
        }
        boolean noneHasIt = true;
        for (Outcome p : participants) {
            if (p == Outcome.COMMITTED) {
                return Outcome.COMMITTED;
            }
            noneHasIt &= p == Outcome.UNKNOWN; // null (not asked) is not UNKNOWN
        }
        return noneHasIt && coordinator == Outcome.ROLLED_BACK ? Outcome.ROLLED_BACK : null;
    }
}
