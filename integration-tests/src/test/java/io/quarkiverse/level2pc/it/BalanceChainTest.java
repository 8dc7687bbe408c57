package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The serial-history check of {@link ClusterConcurrencyIT}'s bank test. */
class BalanceChainTest {

    @Test
    void aSerialHistoryFits() {
        assertThat(BalanceChain.formsOnePath(100, 70, List.of(step(100, 90), step(90, 120), step(120, 70)))).isTrue();
        // order of the answers does not matter
        assertThat(BalanceChain.formsOnePath(100, 70, List.of(step(120, 70), step(100, 90), step(90, 120)))).isTrue();
        // back to the initial balance, with a detour through a repeated balance
        assertThat(BalanceChain.formsOnePath(100, 100, List.of(step(100, 50), step(50, 100), step(100, 50), step(50, 100))))
                .isTrue();
        assertThat(BalanceChain.formsOnePath(100, 100, List.of())).isTrue();
    }

    @Test
    void aLostUpdateDoesNotFit() {
        // two transfers both read 100: -10 and -20
        assertThat(BalanceChain.formsOnePath(100, 80, List.of(step(100, 90), step(100, 80)))).isFalse();
        // a final balance no step left
        assertThat(BalanceChain.formsOnePath(100, 75, List.of(step(100, 90), step(90, 80)))).isFalse();
        // a step from a balance that never existed
        assertThat(BalanceChain.formsOnePath(100, 80, List.of(step(100, 90), step(95, 80)))).isFalse();
        // steps disconnected from the start (a cycle elsewhere)
        assertThat(BalanceChain.formsOnePath(100, 100, List.of(step(60, 50), step(50, 60)))).isFalse();
        assertThat(BalanceChain.formsOnePath(100, 90, List.of())).isFalse();
    }

    private static long[] step(long before, long after) {
        return new long[] { before, after };
    }
}
