package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** The value types of the core: Bytes, BranchId, TxWork. */
class CoreValuesTest {

    @Test
    void bytesOrderUnsignedLexicographicallyLikeLevelDb() {
        Bytes low = Bytes.wrap(new byte[] { 0x7F });
        Bytes high = Bytes.wrap(new byte[] { (byte) 0x80 });
        Bytes prefix = Bytes.wrap(new byte[] { 0x7F, 0 });

        assertThat(low.compareTo(high)).as("0x80 sorts after 0x7F, not before as a signed byte would").isNegative();
        assertThat(low.compareTo(prefix)).isNegative();
        assertThat(Bytes.EMPTY.compareTo(low)).isNegative();
        assertThat(new TreeMap<>(Map.of(high, 1, low, 2, prefix, 3)).keySet()).containsExactly(low, prefix, high);
    }

    @Test
    void bytesCopyOfIsImmuneToLaterChangesOfTheSourceArray() {
        byte[] src = { 1, 2 };
        Bytes b = Bytes.copyOf(src);
        src[0] = 9;

        assertThat(b.toArray()).containsExactly(1, 2);
        assertThat(b).isEqualTo(Bytes.wrap(new byte[] { 1, 2 })).hasSameHashCodeAs(Bytes.wrap(new byte[] { 1, 2 }));
        assertThat(b.toArray()).isNotSameAs(b.toArray());
    }

    @Test
    void bytesPrintAsTextWhenPrintableAndAsHexOtherwise() {
        assertThat(Bytes.utf8("acct-1")).hasToString("acct-1");
        assertThat(Bytes.wrap(new byte[] { 0, (byte) 0xAB })).hasToString("0x00ab");
    }

    @Test
    void bytesStartsWithComparesThePrefixOnly() {
        assertThat(Bytes.utf8("abc").startsWith(Bytes.utf8("ab"))).isTrue();
        assertThat(Bytes.utf8("ab").startsWith(Bytes.utf8("abc"))).isFalse();
        assertThat(Bytes.utf8("abc").startsWith(Bytes.EMPTY)).isTrue();
    }

    @Test
    void prefixSuccessorIsTheSmallestKeyAfterEveryKeyWithThePrefix() {
        assertThat(Bytes.prefixSuccessor(new byte[] { 'd', 'a', 0 })).containsExactly('d', 'a', 1);
        assertThat(Bytes.prefixSuccessor(new byte[] { 'd', (byte) 0xFF })).containsExactly('e');
        assertThat(Bytes.prefixSuccessor(new byte[] { 1, (byte) 0xFE, (byte) 0xFF })).containsExactly(1, (byte) 0xFF);
        assertThat(Bytes.prefixSuccessor(new byte[] { (byte) 0xFF, (byte) 0xFF })).isNull();
        assertThat(Bytes.prefixSuccessor(new byte[0])).isNull();
    }

    @Test
    void aBranchVersionIsItsGlobalTransactionIdSoItIsTheSameOnEveryNode() {
        BranchId onA = new BranchId(131077, Bytes.utf8("gtrid"), Bytes.utf8("bqual-a"));
        BranchId onB = new BranchId(131077, Bytes.utf8("gtrid"), Bytes.utf8("bqual-b"));

        assertThat(onA.version()).isEqualTo(onB.version()).isEqualTo(Bytes.utf8("gtrid"));
        assertThat(onA).isNotEqualTo(onB);
    }

    @Test
    void branchIdsEnforceTheXaLengthLimits() {
        assertThatThrownBy(() -> new BranchId(1, Bytes.EMPTY, Bytes.EMPTY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("global transaction id");
        assertThatThrownBy(() -> new BranchId(1, Bytes.wrap(new byte[65]), Bytes.EMPTY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65");
        assertThatThrownBy(() -> new BranchId(1, Bytes.utf8("g"), Bytes.wrap(new byte[65]))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("branch qualifier");
        assertThat(new BranchId(1, Bytes.wrap(new byte[64]), Bytes.wrap(new byte[64])).gtrid().length()).isEqualTo(64);
    }

    @Test
    void txWorkIsADefensiveCopyOfItsMaps() {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(Bytes.utf8("k"), null);
        Map<Bytes, Bytes> reads = new HashMap<>();
        TxWork w = new TxWork(writes, reads, "");
        writes.put(Bytes.utf8("later"), new byte[0]);
        reads.put(Bytes.utf8("later"), Bytes.EMPTY);

        assertThat(w.writes()).containsOnlyKeys(Bytes.utf8("k"));
        assertThat(w.writes().get(Bytes.utf8("k"))).as("null means delete").isNull();
        assertThat(w.reads()).isEmpty();
        assertThat(w.isReadOnly()).isFalse();
        assertThatThrownBy(() -> w.writes().put(Bytes.utf8("x"), new byte[0])).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void txWorkWithoutWritesIsReadOnly() {
        assertThat(new TxWork(new TreeMap<>(), Map.of(Bytes.utf8("k"), Bytes.EMPTY), "").isReadOnly()).isTrue();
    }
}
