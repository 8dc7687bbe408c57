package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Read leases, promises and the current flag, on a fake nanosecond clock. */
class QuorumLeaseTest {

    private static final long MS = 1_000_000L;
    /** The lease, {@code L}. */
    private static final Duration LEASE = Duration.ofMillis(1000);
    private static final long L = 1000 * MS;
    /** Peers are named by their node names. */
    private static final String B = "b";
    private static final String C = "c";
    private static final String D = "d";

    /** Starts away from 0: nanoTime has an arbitrary origin. */
    private final AtomicLong now = new AtomicLong(7_000_000 * MS);

    /** A lease of node a in a cluster of four (a, b, c, d), started long before the test's origin. */
    private QuorumLease lease(int required) {
        now.set(at(-60_000));
        QuorumLease l = new QuorumLease("a", required, 4, LEASE, now::get);
        now.set(at(0));
        return l;
    }

    /** The fake clock's time {@code ms} milliseconds after the test's origin. */
    private long at(long ms) {
        return 7_000_000 * MS + ms * MS;
    }

    private void setTime(long ms) {
        now.set(at(ms));
    }

    private static TxWork quorumWork(String... participants) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(Bytes.utf8("k"), new byte[] { 1 });
        return new TxWork(writes, Map.of(), "", 1, List.of(participants), 1);
    }

    /** Makes the lease held (one grant) and the node current. */
    private QuorumLease readableLease() {
        QuorumLease l = lease(1);
        setTime(0);
        l.granted(B, at(0));
        assertThat(l.caughtUp(l.epoch())).isTrue();
        assertThat(l.readable()).isTrue();
        return l;
    }

    @Test
    void withoutGrantsNoLeaseIsHeld() {
        QuorumLease l = lease(1);

        assertThat(l.leaseHeld()).isFalse();
        assertThat(l.readable()).isFalse();
        assertThat(l.grantors()).isEmpty();
        assertThat(l.describe()).contains("no read lease");
    }

    @Test
    void aGrantHoldsTheLeaseUntilLAfterTheHelloWasSentAndNotAfter() {
        QuorumLease l = lease(1);
        setTime(100); // the answer arrives 100 ms after the hello was sent at 0
        l.granted(B, at(0));

        assertThat(l.leaseHeld()).isTrue();
        setTime(999);
        assertThat(l.leaseHeld()).as("just before sentAt + L").isTrue();
        now.set(at(1000) - 1);
        assertThat(l.leaseHeld()).isTrue();
        setTime(1000);
        assertThat(l.leaseHeld()).as("at sentAt + L").isFalse();
        setTime(5000);
        assertThat(l.leaseHeld()).isFalse();
    }

    @Test
    void theLeaseRunsFromWhenTheHelloWasSentNotFromWhenTheAnswerArrived() {
        QuorumLease l = lease(1);
        setTime(900);
        l.granted(B, at(0));

        setTime(1000);

        assertThat(l.leaseHeld()).isFalse();
    }

    @Test
    void anOlderGrantOfTheSamePeerDoesNotReplaceANewerOne() {
        QuorumLease l = lease(1);
        setTime(500);
        l.granted(B, at(400));
        l.granted(B, at(100)); // a late answer to an earlier hello

        setTime(1399);
        assertThat(l.leaseHeld()).isTrue();
        setTime(1400);
        assertThat(l.leaseHeld()).isFalse();
    }

    @Test
    void twoRequiredGrantsNeedTwoPeers() {
        QuorumLease l = lease(2);
        setTime(10);
        l.granted(B, at(0));

        assertThat(l.leaseHeld()).as("one grant of two").isFalse();

        l.granted(B, at(5));
        assertThat(l.leaseHeld()).as("the same peer twice is still one grant").isFalse();

        setTime(310);
        l.granted(C, at(300));
        assertThat(l.leaseHeld()).isTrue();
    }

    @Test
    void withTwoRequiredTheLeaseEndsLAfterTheOlderOfTheTwoMostRecentGrants() {
        QuorumLease l = lease(2);
        setTime(310);
        l.granted(B, at(0));
        l.granted(C, at(300));

        setTime(999);
        assertThat(l.leaseHeld()).isTrue();
        setTime(1000);
        assertThat(l.leaseHeld()).as("L after B's grant, the older of the two").isFalse();
    }

    @Test
    void withThreeGrantsAndTwoRequiredTheOldestDoesNotCount() {
        QuorumLease l = lease(2);
        setTime(600);
        l.granted(B, at(500));
        l.granted(C, at(0));
        l.granted(D, at(300));

        setTime(1299);
        assertThat(l.leaseHeld()).isTrue();
        setTime(1300);
        assertThat(l.leaseHeld()).as("L after D's grant, the second most recent").isFalse();
    }

    @Test
    void aRenewedGrantExtendsTheLease() {
        QuorumLease l = lease(2);
        setTime(310);
        l.granted(B, at(0));
        l.granted(C, at(300));
        setTime(600);
        l.granted(B, at(500));

        setTime(1299);
        assertThat(l.leaseHeld()).isTrue();
        setTime(1300);
        assertThat(l.leaseHeld()).isFalse();
    }

    @Test
    void aNodeIsNotReadableUntilItCaughtUp() {
        QuorumLease l = lease(1);
        setTime(10);
        l.granted(B, at(0));

        assertThat(l.leaseHeld()).isTrue();
        assertThat(l.isCurrent()).isFalse();
        assertThat(l.readable()).isFalse();
        assertThat(l.describe()).contains("catching up");

        assertThat(l.caughtUp(l.epoch())).isTrue();

        assertThat(l.isCurrent()).isTrue();
        assertThat(l.readable()).isTrue();
        assertThat(l.describe()).contains("lease held").contains("current").doesNotContain("catching up");
    }

    @Test
    void aCatchUpDoesNotMakeTheNodeCurrentWithoutALease() {
        QuorumLease l = lease(1);

        assertThat(l.caughtUp(l.epoch())).isFalse();

        assertThat(l.isCurrent()).isFalse();
    }

    @Test
    void aLapseMakesTheNodeNotCurrentAndACatchUpStartedBeforeItStale() {
        QuorumLease l = readableLease();
        long before = l.epoch();

        setTime(1500); // beyond the lease end (1000), then a new grant
        l.granted(B, at(1400));

        assertThat(l.leaseHeld()).isTrue();
        assertThat(l.isCurrent()).isFalse();
        assertThat(l.readable()).isFalse();
        assertThat(l.epoch()).isGreaterThan(before);

        assertThat(l.caughtUp(before)).as("a catch-up that started before the lapse").isFalse();
        assertThat(l.isCurrent()).isFalse();

        assertThat(l.caughtUp(l.epoch())).isTrue();
        assertThat(l.readable()).isTrue();
    }

    @Test
    void aLapseFoundByAReadCheckAlsoEndsCurrent() {
        QuorumLease l = readableLease();

        setTime(1000);

        assertThat(l.readable()).isFalse();
        assertThat(l.isCurrent()).isFalse();
        setTime(1100);
        l.granted(B, at(1050));
        assertThat(l.readable()).as("the lease is back, but the node must catch up first").isFalse();
    }

    @Test
    void aGrantWhileTheLeaseIsHeldKeepsTheNodeCurrentAndTheEpoch() {
        QuorumLease l = readableLease();
        long epoch = l.epoch();

        setTime(900);
        l.granted(B, at(800));
        setTime(1500);

        assertThat(l.readable()).isTrue();
        assertThat(l.epoch()).isEqualTo(epoch);
    }

    @Test
    void beingToldBehindEndsCurrentAtOnceAndMakesACatchUpStartedBeforeItStale() {
        QuorumLease l = readableLease();
        long before = l.epoch();
        setTime(300);
        l.granted(B, at(250)); // the grant of the answer that said "behind" is recorded first, and counts

        assertThat(l.behind()).as("it was current").isTrue();

        assertThat(l.isCurrent()).isFalse();
        assertThat(l.readable()).as("no reads until it caught up").isFalse();
        assertThat(l.leaseHeld()).as("the answer still counts as a grant").isTrue();
        assertThat(l.grantors()).as("the node that said behind is a catch-up source").containsExactly(B);
        assertThat(l.epoch()).isGreaterThan(before);
        assertThat(l.caughtUp(before)).as("a catch-up that started before").isFalse();
        assertThat(l.caughtUp(l.epoch())).as("a catch-up that starts after").isTrue();
        assertThat(l.readable()).isTrue();
    }

    @Test
    void aNodeNotCurrentIgnoresBeingToldBehindSoItsCatchUpCanFinish() {
        QuorumLease l = lease(1);
        l.granted(B, at(0));
        long epoch = l.epoch();

        assertThat(l.behind()).as("not current: nothing to end").isFalse();

        assertThat(l.epoch()).as("the catch-up under way is not made stale").isEqualTo(epoch);
        assertThat(l.caughtUp(epoch)).isTrue();
    }

    @Test
    void aPromiseToANodeLeftOutRunsFor2L() {
        QuorumLease l = lease(1);
        setTime(0);
        l.promised("c");

        setTime(1999);
        assertThat(l.promisedOutside(List.of("a", "b"))).singleElement().asString().startsWith("c ").contains("2 ms more");
        now.set(at(2000) - 1);
        assertThat(l.promisedOutside(List.of("a", "b"))).as("rounded up: never 0 ms while it runs")
                .containsExactly(new QuorumLease.Promise("c", 1));
        setTime(2000);
        assertThat(l.promisedOutside(List.of("a", "b"))).isEmpty();
    }

    @Test
    void aPromiseToAParticipantOrToItselfDoesNotCount() {
        QuorumLease l = lease(1);
        setTime(0);
        l.promised("b");
        l.promised("a");
        l.promised("c");

        assertThat(l.promisedOutside(List.of("a", "b", "c"))).isEmpty();
        assertThat(l.promisedOutside(List.of("b", "c"))).as("a is this node").isEmpty();
        assertThat(l.promisedOutside(List.of("a", "c"))).singleElement().asString().startsWith("b ");
    }

    @Test
    void aRenewedPromiseRunsFromItsRenewal() {
        QuorumLease l = lease(1);
        setTime(0);
        l.promised("c");
        setTime(1500);
        l.promised("c");

        setTime(3499);
        assertThat(l.promisedOutside(List.of("a"))).hasSize(1);
        setTime(3500);
        assertThat(l.promisedOutside(List.of("a"))).isEmpty();
    }

    @Test
    void checkPrepareRefusesANodeThatIsNotReadable() {
        QuorumLease l = lease(1);
        setTime(10);
        l.granted(B, at(0)); // lease held but not caught up

        QuorumLease.Refusal r = l.checkPrepare(quorumWork("a", "b"));

        assertThat(r).isNotNull();
        assertThat(r.kind()).isEqualTo(QuorumLease.Refusal.Kind.NOT_READABLE);
        assertThat(r.reason()).contains("'a'").contains("quarkus.level-2pc.read-lease");
        assertThat(r.retryAfterMillis()).as("unknown: when the catch-up ends").isZero();
    }

    @Test
    void checkPrepareRefusesATransactionLeavingOutANodeItPromised() {
        QuorumLease l = readableLease();
        l.promised("c");

        QuorumLease.Refusal r = l.checkPrepare(quorumWork("a", "b"));

        assertThat(r).isNotNull();
        assertThat(r.kind()).isEqualTo(QuorumLease.Refusal.Kind.PROMISED);
        assertThat(r.reason()).contains("'a'").contains("c (for").contains("quarkus.level-2pc.read-lease");
        assertThat(r.retryAfterMillis()).as("the promise runs 2L from now").isEqualTo(2001);
    }

    @Test
    void aRefusalForSeveralPromisesRetriesAfterTheLongestOne() {
        QuorumLease l = readableLease();
        l.promised("c");
        setTime(500);
        l.promised("d");
        setTime(700);

        QuorumLease.Refusal r = l.checkPrepare(quorumWork("a", "b"));

        assertThat(r.kind()).isEqualTo(QuorumLease.Refusal.Kind.PROMISED);
        assertThat(r.reason()).contains("c (for 1301 ms more)").contains("d (for 1801 ms more)");
        assertThat(r.retryAfterMillis()).as("d's promise ends last: 500 + 2000 - 700, rounded up").isEqualTo(1801);
    }

    @Test
    void checkPreparePassesWhenReadableAndNoPromisedNodeIsLeftOut() {
        QuorumLease l = readableLease();
        l.promised("c");
        l.promised("b");
        l.promised("a");

        assertThat(l.checkPrepare(quorumWork("a", "b", "c"))).isNull();
        assertThat(l.checkPrepare(quorumWork("b", "c"))).as("a promise to itself does not count").isNull();
    }

    @Test
    void checkPreparePassesOnceThePromiseRanOut() {
        QuorumLease l = readableLease();
        l.promised("c");
        setTime(900);
        l.granted(B, at(900));
        setTime(1800);
        l.granted(B, at(1800));
        setTime(2000);

        assertThat(l.readable()).isTrue();
        assertThat(l.checkPrepare(quorumWork("a", "b"))).isNull();
    }

    @Test
    void grantorsAreThePeersWhoseGrantIsWithinL() {
        QuorumLease l = lease(1);
        setTime(700);
        l.granted(B, at(0));
        l.granted(C, at(600));

        assertThat(l.grantors()).containsExactlyInAnyOrder(B, C);
        now.set(at(1000) - 1);
        assertThat(l.grantors()).containsExactlyInAnyOrder(B, C);
        setTime(1000);
        assertThat(l.grantors()).containsExactly(C);
        setTime(1600);
        assertThat(l.grantors()).isEmpty();
    }

    @Test
    void describeCountsTheGrantsThatHold() {
        QuorumLease l = lease(2);
        setTime(10);
        l.granted(B, at(0));

        assertThat(l.describe()).contains("1 grant(s) of 2");
    }

    @Test
    void leasesAndPromisesSurviveTheNanosecondClockWrappingAround() {
        QuorumLease l = new QuorumLease("a", 2, 4, LEASE, now::get);
        long origin = Long.MAX_VALUE - 300 * MS;
        now.set(origin + 10 * MS);
        l.granted(B, origin);
        l.granted(C, origin + 100 * MS);
        l.promised("c");

        now.set(origin + 999 * MS); // past Long.MAX_VALUE: negative
        assertThat(now.get()).isNegative();
        assertThat(l.leaseHeld()).isTrue();
        assertThat(l.grantors()).containsExactlyInAnyOrder(B, C);
        assertThat(l.promisedOutside(List.of("a"))).hasSize(1);
        now.set(origin + 1000 * MS);
        assertThat(l.leaseHeld()).isFalse();
        assertThat(l.grantors()).containsExactly(C);
        now.set(origin + 2010 * MS);
        assertThat(l.promisedOutside(List.of("a"))).isEmpty();
    }

    @Test
    void forTwoLeasesAfterItStartedANodeCountsAsHavingPromisedEveryNodeLeftOut() {
        setTime(0);
        QuorumLease l = new QuorumLease("a", 1, 3, LEASE, now::get); // a, b, c; promises lived only in memory
        l.granted(B, at(0));
        assertThat(l.caughtUp(l.epoch())).isTrue();

        assertThat(l.promisedOutside(List.of("a", "b"))).singleElement().asString().startsWith("every node left out")
                .contains("may have promised them before");
        assertThat(l.promisedOutside(List.of("a", "b", "c"))).as("nobody left out").isEmpty();
        QuorumLease.Refusal r = l.checkPrepare(quorumWork("a", "b"));
        assertThat(r.kind()).isEqualTo(QuorumLease.Refusal.Kind.PROMISED);
        assertThat(r.reason()).contains("every node left out");
        assertThat(r.retryAfterMillis()).isEqualTo(2001);

        setTime(1999);
        assertThat(l.promisedOutside(List.of("a", "b"))).hasSize(1);
        setTime(2000);
        l.granted(B, at(2000));
        assertThat(l.promisedOutside(List.of("a", "b"))).isEmpty();
    }

    @Test
    void droppingTheGrantsEndsTheLeaseAndTheCurrentFlag() {
        QuorumLease l = readableLease();
        long before = l.epoch();

        l.dropGrants();

        assertThat(l.leaseHeld()).isFalse();
        assertThat(l.isCurrent()).isFalse();
        assertThat(l.grantors()).isEmpty();
        assertThat(l.epoch()).isGreaterThan(before);
    }
}
