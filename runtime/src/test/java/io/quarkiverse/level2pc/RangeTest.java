package io.quarkiverse.level2pc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RangeTest {

    @Test
    void endOfPrefixIsTheSmallestKeyAfterEveryKeyWithThePrefix() {
        assertThat(Range.endOfPrefix(new byte[] { 'd', 'a', 0 })).containsExactly('d', 'a', 1);
        assertThat(Range.endOfPrefix(new byte[] { 'd', (byte) 0xFF })).containsExactly('e');
        assertThat(Range.endOfPrefix(new byte[] { 1, (byte) 0xFE, (byte) 0xFF })).containsExactly(1, (byte) 0xFF);
        assertThat(Range.endOfPrefix(new byte[] { (byte) 0xFF, (byte) 0xFF })).isNull();
        assertThat(Range.endOfPrefix(new byte[0])).isNull();
    }

    @Test
    void aPrefixRangeEndsAtTheEndOfThePrefix() {
        Range r = Range.prefix("ab");
        assertThat(r.from()).containsExactly('a', 'b');
        assertThat(r.to()).containsExactly('a', 'c');
    }

    @Test
    void aRangeThatEndsBeforeItStartsIsRefused() {
        assertThatThrownBy(() -> Range.between("b", "a")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after its end");
    }
}
