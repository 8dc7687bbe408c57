package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Commit stamps in versions, and the hybrid logical clock that issues them. */
class StampsTest {

    private static final Bytes GTRID = Bytes.utf8("gtrid-of-node-a-0001");

    @Test
    void aVersionWithoutAStampIsTheGlobalTransactionIdItself() {
        assertThat(Stamps.version(0, GTRID)).isEqualTo(GTRID);
        assertThat(Stamps.version(0, GTRID)).isSameAs(GTRID);
    }

    @ParameterizedTest
    @ValueSource(longs = { 1, 2, 255, 256, 65_535, 65_536, 1_764_000_000_000L << 16, (1_764_000_000_000L << 16) | 0xFFFF,
            Long.MAX_VALUE, Long.MAX_VALUE - 1, 0x0102030405060708L, 0x80L << 48 })
    void theStampOfAVersionRoundTrips(long stamp) {
        Bytes version = Stamps.version(stamp, GTRID);

        assertThat(Stamps.stampOf(version)).isEqualTo(stamp);
        assertThat(version.length()).isEqualTo(9 + GTRID.length());
        assertThat(version.byteAt(0)).isEqualTo((byte) 0xFF);
    }

    @Test
    void theVersionEndsWithTheGlobalTransactionId() {
        Bytes version = Stamps.version(42, GTRID);

        byte[] tail = Arrays.copyOfRange(version.toArray(), 9, version.length());
        assertThat(Bytes.wrap(tail)).isEqualTo(GTRID);
    }

    @Test
    void theStampIsStoredBigEndianSoThatByteOrderFollowsStampOrder() {
        Bytes v = Stamps.version(0x0102030405060708L, GTRID);

        assertThat(Arrays.copyOfRange(v.toArray(), 1, 9)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(Stamps.version(256, GTRID)).isGreaterThan(Stamps.version(255, GTRID));
    }

    @Test
    void anEmptyVersionHasStampZero() {
        assertThat(Stamps.stampOf(Bytes.EMPTY)).isZero();
    }

    @Test
    void aVersionWithoutTheMarkerHasStampZero() {
        assertThat(Stamps.stampOf(GTRID)).isZero();
        assertThat(Stamps.stampOf(Bytes.utf8("tx-1"))).as("shorter than a stamped version").isZero();
        assertThat(Stamps.stampOf(Bytes.wrap(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 9, 'g' }))).as("no marker").isZero();
    }

    @Test
    void aMarkerWithoutAFullStampIsStampZero() {
        assertThat(Stamps.stampOf(Bytes.wrap(new byte[] { (byte) 0xFF, 1, 2, 3, 4, 5, 6, 7 }))).isZero();
    }

    @Test
    void versionsOfDifferentTransactionsWithTheSameStampDiffer() {
        Bytes a = Stamps.version(1234, Bytes.utf8("tx-a"));
        Bytes b = Stamps.version(1234, Bytes.utf8("tx-b"));

        assertThat(a).isNotEqualTo(b);
        assertThat(Stamps.stampOf(a)).isEqualTo(Stamps.stampOf(b)).isEqualTo(1234);
    }

    @Test
    void versionsOfTheSameTransactionWithDifferentStampsDiffer() {
        assertThat(Stamps.version(1, GTRID)).isNotEqualTo(Stamps.version(2, GTRID)).isNotEqualTo(GTRID);
    }

    @Test
    void theClockStartsAtTheWallClockShiftedBy16Bits() {
        HybridClock clock = new HybridClock(() -> 1000);

        long s = clock.next();

        assertThat(s).isEqualTo(1000L << 16);
        assertThat(HybridClock.millisOf(s)).isEqualTo(1000);
    }

    @Test
    void theClockIsStrictlyIncreasingWhileTheWallClockStandsStill() {
        HybridClock clock = new HybridClock(() -> 5000);

        long previous = clock.next();
        for (int i = 0; i < 1000; i++) {
            long s = clock.next();
            assertThat(s).isGreaterThan(previous);
            previous = s;
        }
        assertThat(HybridClock.millisOf(previous)).as("1000 ticks fit in the 16-bit counter").isEqualTo(5000);
    }

    @Test
    void theClockIsStrictlyIncreasingWhenTheWallClockGoesBackwards() {
        AtomicLong wall = new AtomicLong(10_000);
        HybridClock clock = new HybridClock(wall::get);

        long s1 = clock.next();
        wall.set(9_000);
        long s2 = clock.next();
        wall.set(1);
        long s3 = clock.next();
        wall.set(0);
        long s4 = clock.next();

        assertThat(s2).isGreaterThan(s1);
        assertThat(s3).isGreaterThan(s2);
        assertThat(s4).isGreaterThan(s3);
        assertThat(HybridClock.millisOf(s4)).isEqualTo(10_000);
    }

    @Test
    void theClockFollowsTheWallClockWhenItMovesForward() {
        AtomicLong wall = new AtomicLong(10_000);
        HybridClock clock = new HybridClock(wall::get);

        clock.next();
        clock.next();
        wall.set(10_001);

        assertThat(clock.next()).isEqualTo(10_001L << 16);
    }

    @Test
    void observingAStampAheadMakesTheNextStampGreater() {
        HybridClock clock = new HybridClock(() -> 1000);
        long ahead = (5000L << 16) + 7;

        clock.observe(ahead);

        assertThat(clock.next()).isGreaterThan(ahead);
        assertThat(clock.next()).isGreaterThan(ahead + 1);
    }

    @Test
    void observingAStampBehindDoesNotMoveTheClockBack() {
        HybridClock clock = new HybridClock(() -> 1000);
        long s1 = clock.next();

        clock.observe(1);
        clock.observe(s1 - 1);

        assertThat(clock.next()).isEqualTo(s1 + 1);
    }

    @Test
    void millisOfDropsTheCounter() {
        assertThat(HybridClock.millisOf((1_764_000_000_123L << 16) | 0xFFFF)).isEqualTo(1_764_000_000_123L);
        assertThat(HybridClock.millisOf(0xFFFF)).isZero();
        assertThat(HybridClock.millisOf(1L << 16)).isEqualTo(1);
    }
}
