package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** The value types of the core: Bytes, BranchId, TxWork, Outcome, Decision, Hint. */
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

    @Test
    void txWorkKeepsItsPriorityAcrossAFreshStampAndItsStampAcrossAPriority() {
        TxWork w = CoreFixtures.work().put("k", "v").priority(42).build();

        TxWork retried = w.withStamp(7, List.of("a", "b"), 1);
        TxWork older = retried.withPriority(5);

        assertThat(w.priority()).isEqualTo(42);
        assertThat(retried.priority()).isEqualTo(42);
        assertThat(retried.stamp()).isEqualTo(7);
        assertThat(retried.participants()).containsExactly("a", "b");
        assertThat(retried.excluded()).isEqualTo(1);
        assertThat(retried.isQuorum()).isTrue();
        assertThat(older.priority()).isEqualTo(5);
        assertThat(older.stamp()).isEqualTo(7);
        assertThat(new TxWork(new TreeMap<>(), Map.of(), "").priority()).as("no priority: the oldest possible").isZero();
    }

    @Test
    void txWorkRejectsANegativeExcludedCount() {
        assertThatThrownBy(() -> new TxWork(new TreeMap<>(), Map.of(), "", 1, List.of("a"), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("excluded");
    }

    @Test
    void theVersionOfABranchsWritesCarriesItsStampInQuorumModeOnly() {
        BranchId id = new BranchId(1, Bytes.utf8("g"), Bytes.EMPTY);

        assertThat(CoreFixtures.work().put("k", "v").build().versionFor(id)).isEqualTo(id.gtrid());
        assertThat(CoreFixtures.work().put("k", "v").quorum(9, List.of("a"), 0).build().versionFor(id))
                .isEqualTo(Stamps.version(9, id.gtrid()));
    }

    @Test
    void aBranchIdParsesItsOwnTextForm() {
        BranchId id = new BranchId(-3, Bytes.wrap(new byte[] { 0, (byte) 0xAB }), Bytes.EMPTY);

        assertThat(id).hasToString("-3:00ab:");
        assertThat(BranchId.parse(id.toString())).isEqualTo(id);
        assertThatThrownBy(() -> BranchId.parse("1:zz:00")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1:zz:00");
        assertThatThrownBy(() -> BranchId.parse("x:00:00")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format id");
        assertThatThrownBy(() -> BranchId.parse("1:00")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BranchId.parse("1::00")).as("an empty global id").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outcomesParseFromTheWireAndAnythingElseIsUnknown() {
        for (Outcome o : Outcome.values()) {
            assertThat(Outcome.parse(o.name())).isEqualTo(o);
        }
        assertThat(Outcome.parse(" COMMITTED\n")).isEqualTo(Outcome.COMMITTED);
        assertThat(Outcome.parse("committed")).isEqualTo(Outcome.UNKNOWN);
        assertThat(Outcome.parse(null)).isEqualTo(Outcome.UNKNOWN);
        assertThat(Outcome.COMMITTED.isFinal()).isTrue();
        assertThat(Outcome.ROLLED_BACK.isFinal()).isTrue();
        assertThat(Outcome.IN_PROGRESS.isFinal()).isFalse();
        assertThat(Outcome.UNKNOWN.isFinal()).isFalse();
    }

    @Test
    void aDecisionShrinksAsPeersAcknowledgeUntilSettled() {
        BranchId b = new BranchId(1, Bytes.utf8("g"), Bytes.EMPTY);
        Map<String, BranchId> peers = new HashMap<>(Map.of("p1", b, "p2", b));
        Decision d = new Decision(Bytes.utf8("g"), peers);
        peers.clear();

        Decision one = d.without("p1");

        assertThat(d.peers()).as("a copy").containsOnlyKeys("p1", "p2");
        assertThat(one.peers()).containsOnlyKeys("p2");
        assertThat(one.isSettled()).isFalse();
        assertThat(one.without("p2").isSettled()).isTrue();
        assertThat(one.without("stranger")).isEqualTo(one);
    }

    @Test
    void aHintIsMissedByNodesNeitherParticipatingNorCaughtUp() {
        Hint h = new Hint(Bytes.utf8("g"), List.of("a", "b"), 2, List.of(Bytes.utf8("k")), List.of("c"));

        assertThat(h.missedBy("a")).isFalse();
        assertThat(h.missedBy("c")).isFalse();
        assertThat(h.missedBy("d")).isTrue();
    }

    @Test
    void aHintIsDroppedOnceAsManyNodesAsWereLeftOutCaughtUp() {
        Hint h = new Hint(Bytes.utf8("g"), List.of("a", "b"), 2, List.of(Bytes.utf8("k")), List.of());

        Hint afterC = h.caughtUpBy("c");

        assertThat(afterC.caughtUp()).containsExactly("c");
        assertThat(afterC.caughtUpBy("c")).as("twice changes nothing").isSameAs(afterC);
        assertThat(afterC.caughtUpBy("a")).as("a participant did not miss it").isSameAs(afterC);
        assertThat(afterC.caughtUpBy("d")).as("both left-out nodes caught up").isNull();
    }
}
