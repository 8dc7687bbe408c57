package io.quarkiverse.level2pc.codec;

import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;

/** The binary formats: what the store persists and the peers exchange. Malformed input is a DecodeException. */
class CodecTest {

    private static final BranchId T1 = branch("tx-1");

    static TxWork richWork() {
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
        assertThatThrownBy(() -> Codec.decodeValue(new byte[0])).isInstanceOf(DecodeException.class);
    }

    @Test
    void decodeValueRejectsAnUnknownFormat() {
        byte[] stored = Codec.encodeValue(Bytes.utf8("tx"), new byte[] { 1 });
        stored[0] = 9;

        assertThatThrownBy(() -> Codec.decodeValue(stored)).isInstanceOf(DecodeException.class).hasMessageContaining("format");
    }

    @Test
    void decodeValueRejectsAVersionLengthBeyondTheRecord() {
        assertThatThrownBy(() -> Codec.decodeValue(new byte[] { 1, 10, 'a', 'b' }))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("10");
    }

    @Test
    void aPrepareRecordRoundTripsWithDeletesBinaryKeysAbsentReadsAndTheCoordinator() {
        TxWork w = richWork();
        BranchId id = new BranchId(-7, Bytes.wrap(new byte[64]), Bytes.EMPTY);

        PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(id, w));

        assertThat(r.branch()).isEqualTo(id);
        assertSameWork(r.work(), w);
    }

    @Test
    void decodePrepareRejectsAnUnknownFormat() {
        for (byte format : new byte[] { 0, 4, -1 }) {
            byte[] data = Codec.encodePrepare(T1, richWork());
            data[0] = format;

            assertThatThrownBy(() -> Codec.decodePrepare(data)).as("format %d", format).isInstanceOf(DecodeException.class)
                    .hasMessageContaining("prepare record").hasMessageContaining("format");
        }
    }

    @Test
    void decodePrepareRejectsEveryTruncationOfAValidRecord() {
        byte[] data = Codec.encodePrepare(T1, richWork());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodePrepare(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(DecodeException.class);
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
            assertThatThrownBy(() -> Codec.decodePrepare(copy)).as("count %d", bad).isInstanceOf(DecodeException.class)
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

        assertThatThrownBy(() -> Codec.decodePrepare(bad)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("global transaction id");
    }

    // ---- formats: 3 adds the priority, 2 added the stamp, participants and excluded count -----------

    /** Quorum-mode work with a wait-die priority: every field of format 3 set. */
    static TxWork quorumWork() {
        return richWork().withStamp(0x0123456789ABCDEFL, List.of("a", "b", "ünï"), 2).withPriority(0x7EDCBA9876543210L);
    }

    /** The same writes, reads and coordinator, without what formats 2 and 3 added. */
    private static TxWork asFormat1(TxWork w) {
        return new TxWork(w.writes(), w.reads(), w.coordinator());
    }

    @Test
    void newPrepareRecordsAreWrittenInFormat3() {
        assertThat(Codec.encodePrepare(T1, richWork())[0]).isEqualTo((byte) 3);
    }

    @Test
    void aFormat3RecordRoundTripsItsPriorityStampParticipantsAndExcluded() {
        TxWork w = quorumWork();

        PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(T1, w));

        assertThat(r.branch()).isEqualTo(T1);
        assertSameWork(r.work(), w);
        assertThat(r.work().priority()).isEqualTo(0x7EDCBA9876543210L);
        assertThat(r.work().isQuorum()).isTrue();
    }

    @Test
    void extremePrioritiesRoundTrip() {
        for (long priority : new long[] { 0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1_764_000_000_000L }) {
            TxWork w = work().put("k", "v").priority(priority).build();

            assertThat(Codec.decodePrepare(Codec.encodePrepare(T1, w)).work().priority()).isEqualTo(priority);
        }
    }

    @Test
    void aFullReplicationPrepareRecordRoundTripsWithoutStampOrParticipants() {
        PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(T1, richWork()));

        assertThat(r.work().stamp()).isZero();
        assertThat(r.work().participants()).isEmpty();
        assertThat(r.work().excluded()).isZero();
        assertThat(r.work().isQuorum()).isFalse();
    }

    /** Format 1 as release 1 wrote it: no stamp, participants, excluded count or priority at the end. */
    private static byte[] format1(BranchId id, TxWork w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeByte(1);
            out.writeInt(id.formatId());
            out.writeByte(id.gtrid().length());
            out.write(id.gtrid().toArray());
            out.writeByte(id.bqual().length());
            out.write(id.bqual().toArray());
            out.writeUTF(w.coordinator());
            out.writeInt(w.writes().size());
            for (Map.Entry<Bytes, byte[]> e : w.writes().entrySet()) {
                out.writeInt(e.getKey().length());
                out.write(e.getKey().toArray());
                if (e.getValue() == null) {
                    out.writeInt(-1);
                } else {
                    out.writeInt(e.getValue().length);
                    out.write(e.getValue());
                }
            }
            out.writeInt(w.reads().size());
            for (Map.Entry<Bytes, Bytes> e : w.reads().entrySet()) {
                out.writeInt(e.getKey().length());
                out.write(e.getKey().toArray());
                out.writeInt(e.getValue().length());
                out.write(e.getValue().toArray());
            }
        }
        return bos.toByteArray();
    }

    /** Format 2 as release 2 wrote it: format 1, then the stamp, participants and excluded count; no priority. */
    private static byte[] format2(BranchId id, TxWork w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.write(format1(id, w));
            out.writeLong(w.stamp());
            out.writeInt(w.participants().size());
            for (String p : w.participants()) {
                out.writeUTF(p);
            }
            out.writeInt(w.excluded());
        }
        byte[] b = bos.toByteArray();
        b[0] = 2;
        return b;
    }

    @Test
    void aFormat1RecordBuiltByHandStillDecodesWithoutStampParticipantsOrPriority() throws IOException {
        TxWork w = quorumWork();

        PrepareRecord r = Codec.decodePrepare(format1(T1, w));

        assertThat(r.branch()).isEqualTo(T1);
        assertSameWork(r.work(), asFormat1(w));
        assertThat(r.work().priority()).as("the oldest possible").isZero();
    }

    @Test
    void aFormat2RecordBuiltByHandStillDecodesWithItsStampAndPriorityZero() throws IOException {
        TxWork w = quorumWork();

        PrepareRecord r = Codec.decodePrepare(format2(T1, w));

        assertThat(r.branch()).isEqualTo(T1);
        assertSameWork(r.work(), w.withPriority(0));
        assertThat(r.work().stamp()).isEqualTo(0x0123456789ABCDEFL);
        assertThat(r.work().participants()).containsExactly("a", "b", "ünï");
    }

    @Test
    void format3IsFormat2FollowedByThePriority() throws IOException {
        byte[] v3 = Codec.encodePrepare(T1, quorumWork());
        byte[] v2 = Arrays.copyOf(v3, v3.length - 8);
        v2[0] = 2;

        assertThat(v2).isEqualTo(format2(T1, quorumWork()));
        assertThat(ByteBuffer.wrap(v3, v3.length - 8, 8).getLong()).isEqualTo(0x7EDCBA9876543210L);
    }

    @Test
    void aNewerRecordMarkedWithAnOlderFormatIsRejectedForItsTrailingBytes() {
        for (byte older : new byte[] { 1, 2 }) {
            byte[] data = Codec.encodePrepare(T1, quorumWork());
            data[0] = older;

            assertThatThrownBy(() -> Codec.decodePrepare(data)).as("marked %d", older).isInstanceOf(DecodeException.class)
                    .hasMessageContaining("trailing");
        }
    }

    @Test
    void decodePrepareRejectsEveryTruncationOfAQuorumRecord() {
        byte[] data = Codec.encodePrepare(T1, quorumWork());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodePrepare(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(DecodeException.class);
        }
    }

    @Test
    void decodePrepareRejectsANegativeExcludedCount() {
        byte[] data = Codec.encodePrepare(T1, work().put("k", "v").build());
        // ... excluded(4) priority(8)
        ByteBuffer.wrap(data).putInt(data.length - 12, -1);

        assertThatThrownBy(() -> Codec.decodePrepare(data)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("excluded");
    }
}
