package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

class CodecTest {

    private static final BranchId T1 = branch("tx-1");

    private static TxWork richWork() {
        byte[] max = new byte[BranchId.MAX_ID_LENGTH];
        Arrays.fill(max, (byte) 0xFF);
        return work()
                .put("plain", "value")
                .put(Bytes.wrap(new byte[] { 0, (byte) 0xFF, 0x7F, (byte) 0x80 }), new byte[] { 0, 1, 2, (byte) 0xFF })
                .put(Bytes.utf8("empty-value"), new byte[0])
                .delete("gone")
                .read("seen", "tx-0")
                .readAbsent("absent")
                .read(Bytes.wrap(max), Bytes.wrap(max))
                .coordinator("https://10.0.0.2:8443/ünïcode")
                .build();
    }

    @Test
    void aValueRoundTripsWithItsVersion() {
        byte[] stored = Codec.encodeValue(Bytes.utf8("tx-9"), new byte[] { 1, 2, 3 });

        Versioned v = Codec.decodeValue(stored);

        assertThat(v.version()).isEqualTo(Bytes.utf8("tx-9"));
        assertThat(v.value()).containsExactly(1, 2, 3);
    }

    @Test
    void anEmptyValueRoundTrips() {
        Versioned v = Codec.decodeValue(Codec.encodeValue(Bytes.utf8("tx-9"), new byte[0]));

        assertThat(v.value()).isEmpty();
        assertThat(v.version()).isEqualTo(Bytes.utf8("tx-9"));
    }

    @Test
    void aVersionLongerThan255BytesIsRejected() {
        assertThatThrownBy(() -> Codec.encodeValue(Bytes.wrap(new byte[256]), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256");
    }

    @Test
    void decodeValueRejectsAnEmptyRecord() {
        assertThatThrownBy(() -> Codec.decodeValue(new byte[0])).isInstanceOf(StoreCorruptedException.class);
    }

    @Test
    void decodeValueRejectsAnUnknownFormat() {
        byte[] stored = Codec.encodeValue(Bytes.utf8("tx"), new byte[] { 1 });
        stored[0] = 9;

        assertThatThrownBy(() -> Codec.decodeValue(stored)).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("format");
    }

    @Test
    void decodeValueRejectsAVersionLengthBeyondTheRecord() {
        assertThatThrownBy(() -> Codec.decodeValue(new byte[] { 1, 10, 'a', 'b' }))
                .isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("10");
    }

    @Test
    void aPrepareRecordRoundTripsWithDeletesBinaryKeysAbsentReadsAndTheCoordinator() {
        TxWork w = richWork();
        BranchId id = new BranchId(-7, Bytes.wrap(new byte[64]), Bytes.EMPTY);

        Codec.PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(id, w));

        assertThat(r.branch()).isEqualTo(id);
        assertSameWork(r.work(), w);
    }

    @Test
    void decodePrepareRejectsAnUnknownFormat() {
        byte[] data = Codec.encodePrepare(T1, richWork());
        data[0] = 3;

        assertThatThrownBy(() -> Codec.decodePrepare(data)).isInstanceOf(StoreCorruptedException.class).hasMessageContaining("format");
    }

    @Test
    void decodePrepareRejectsEveryTruncationOfAValidRecord() {
        byte[] data = Codec.encodePrepare(T1, richWork());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodePrepare(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(StoreCorruptedException.class);
        }
    }

    @Test
    void decodePrepareRejectsAHugeOrNegativeCountWithoutAllocatingIt() {
        TxWork w = work().put("k", "v").build();
        byte[] data = Codec.encodePrepare(T1, w);
        // format(1) formatId(4) gtridLen(1) gtrid bqualLen(1) bqual coordinator(2+0) writesCount(4)
        int countAt = 1 + 4 + 1 + T1.gtrid().length() + 1 + T1.bqual().length() + 2;
        for (int bad : new int[] { Integer.MAX_VALUE, -1, Integer.MIN_VALUE }) {
            byte[] copy = data.clone();
            ByteBuffer.wrap(copy).putInt(countAt, bad);
            assertThatThrownBy(() -> Codec.decodePrepare(copy)).as("count %d", bad).isInstanceOf(StoreCorruptedException.class)
                    .hasMessageContaining("out of range");
        }
    }

    @Test
    void decodePrepareRejectsARecordWithAnEmptyGlobalTransactionId() {
        byte[] data = Codec.encodePrepare(T1, work().put("k", "v").build());
        // Rewrite the gtrid as empty: format, formatId, len 0, then the rest from the bqual on.
        int gtridLenAt = 5;
        byte[] bad = new byte[data.length - T1.gtrid().length()];
        System.arraycopy(data, 0, bad, 0, gtridLenAt);
        bad[gtridLenAt] = 0;
        System.arraycopy(data, gtridLenAt + 1 + T1.gtrid().length(), bad, gtridLenAt + 1, data.length - gtridLenAt - 1 - T1.gtrid().length());

        assertThatThrownBy(() -> Codec.decodePrepare(bad)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("global transaction id");
    }

    @Test
    void prepareKeysOfDistinctBranchesDifferEvenWhenTheirIdsConcatenateAlike() {
        BranchId a = new BranchId(1, Bytes.utf8("ab"), Bytes.utf8("c"));
        BranchId b = new BranchId(1, Bytes.utf8("a"), Bytes.utf8("bc"));
        BranchId c = new BranchId(2, Bytes.utf8("ab"), Bytes.utf8("c"));

        assertThat(Codec.prepareKey(a)).isNotEqualTo(Codec.prepareKey(b)).isNotEqualTo(Codec.prepareKey(c));
        assertThat(Codec.prepareKey(a)[0]).isEqualTo(KeySpace.PREPARE);
        assertThat(Codec.prepareKey(a)).isEqualTo(Codec.prepareKey(new BranchId(1, Bytes.utf8("ab"), Bytes.utf8("c"))));
    }
}
