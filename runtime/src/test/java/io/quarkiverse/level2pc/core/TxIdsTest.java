package io.quarkiverse.level2pc.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

/** Identities of the transactions a node coordinates itself. */
class TxIdsTest {

    @Test
    void idsAreUniqueWithinABootAndAcrossBoots() {
        TxIds first = new TxIds("node-a", 1);
        TxIds second = new TxIds("node-a", 2);
        Set<BranchId> seen = new HashSet<>();

        for (int i = 0; i < 1000; i++) {
            assertThat(seen.add(first.next())).isTrue();
            assertThat(seen.add(second.next())).as("another boot id: another id even with the same counter").isTrue();
        }
    }

    @Test
    void idsOfOneNodeHashApartSoMapsKeyedByThemStayFlat() {
        TxIds ids = new TxIds("a", 0x1234_5678_9ABC_DEF0L);
        Set<Integer> gtridHashes = new HashSet<>();
        Set<Integer> bucketsOfAMapThisSize = new HashSet<>();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            BranchId id = ids.next();
            gtridHashes.add(id.gtrid().hashCode());
            int h = id.hashCode();
            bucketsOfAMapThisSize.add((h ^ (h >>> 16)) & ((1 << 17) - 1)); // HashMap's spread and index
        }
        // Arrays.hashCode gave 100,000 sequential ids only 8,748 distinct hashes (bins of up to 41 entries)
        assertThat(gtridHashes).hasSizeGreaterThan(n - 10);
        assertThat(bucketsOfAMapThisSize).as("random hashes fill ~53%% of 131,072 buckets").hasSizeGreaterThan(60_000);
    }

    @Test
    void idsOfDifferentNodesDiffer() {
        assertThat(new TxIds("node-a", 7).next()).isNotEqualTo(new TxIds("node-b", 7).next());
    }

    @Test
    void idsCarryTheirOwnFormatIdTheMarkerAndTheNodeName() {
        BranchId id = new TxIds("node-a", 1).next();

        assertThat(id.formatId()).isEqualTo(TxIds.FORMAT_ID).isEqualTo(0x4C325043).isNotEqualTo(131077);
        assertThat(id.gtrid().length()).isEqualTo(TxIds.UNIQUE_BYTES + "node-a".length());
        assertThat(new String(id.gtrid().toArray(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("L2PC");
        assertThat(id.bqual().length()).isEqualTo(1);
    }

    @Test
    void theCoordinatorIsReadBackFromTheGlobalId() {
        BranchId id = new TxIds("nöde-ü", 42).next();

        assertThat(TxIds.coordinatorIn(id.gtrid())).isEqualTo("nöde-ü");
    }

    @Test
    void aGlobalIdWithoutANameAfterTheUniquePartHasNoCoordinator() {
        assertThat(TxIds.coordinatorIn(Bytes.wrap(new byte[TxIds.UNIQUE_BYTES]))).isNull();
        assertThat(TxIds.coordinatorIn(Bytes.utf8("short"))).isNull();
    }

    @Test
    void theCoordinatorOfANarayanaStyleGlobalIdIsItsTail() {
        byte[] g = new byte[TxIds.UNIQUE_BYTES + 3];
        g[TxIds.UNIQUE_BYTES] = 'n';
        g[TxIds.UNIQUE_BYTES + 1] = '-';
        g[TxIds.UNIQUE_BYTES + 2] = '1';

        assertThat(TxIds.coordinatorIn(Bytes.wrap(g))).isEqualTo("n-1");
    }

    @Test
    void aNodeNameTooLongForAnXaIdIsRejected() {
        String longest = "n".repeat(BranchId.MAX_ID_LENGTH - TxIds.UNIQUE_BYTES);

        assertThat(new TxIds(longest, 1).next().gtrid().length()).isEqualTo(BranchId.MAX_ID_LENGTH);
        assertThatThrownBy(() -> new TxIds(longest + "n", 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long");
    }

    @Test
    void idsAreUniqueUnderConcurrentUse() throws Exception {
        TxIds ids = new TxIds("node-a", 3);
        Set<BranchId> seen = ConcurrentHashMap.newKeySet();
        Runnable take = () -> {
            for (int i = 0; i < 2000; i++) {
                seen.add(ids.next());
            }
        };
        CompletableFuture<?> a = CompletableFuture.runAsync(take);
        CompletableFuture<?> b = CompletableFuture.runAsync(take);
        a.get();
        b.get();

        assertThat(seen).hasSize(4000);
    }
}
