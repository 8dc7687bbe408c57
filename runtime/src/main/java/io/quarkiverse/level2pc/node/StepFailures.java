package io.quarkiverse.level2pc.node;

import java.time.Duration;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Step;
import io.quarkiverse.level2pc.storage.KeySpace;

/** The exceptions a node's phase-one waits end with, worded for the caller. */
final class StepFailures {

    private StepFailures() {
    }

    /** A wait for {@code step} (a lock, or another call completing the branch) outlasted {@code lockWaitTimeout}. */
    static RuntimeException waitedTooLong(BranchId id, Step step, Duration lockWaitTimeout) {
        String what = step instanceof Step.Wait w ? "the " + KeySpace.describe(w.key()) + ", held by transaction " + w.holder()
                : "another call completing it";
        return new LockWaitTimeoutException("Transaction " + id + " waited longer than quarkus.level-2pc.lock-wait-timeout ("
                + lockWaitTimeout + ") for " + what + "; it is probably in doubt, see the level-2pc health check");
    }

    /** A batched prepare that would wait for {@code w}'s lock: refused, to be sent again alone. */
    static RuntimeException waitAlone(BranchId id, Step.Wait w) {
        return new WaitAloneException("the prepare of " + id + " waits for the " + KeySpace.describe(w.key())
                + ", held by transaction " + w.holder() + ": it must come alone, not in a batch");
    }
}
