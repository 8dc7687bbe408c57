package io.quarkiverse.level2pc.storage;

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
import io.quarkiverse.level2pc.core.Stamps;
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

    // ---- quorum mode: stamped prepare records, hints, catch-up answers, gtrid lists ----------------

    private static TxWork quorumWork() {
        TxWork w = richWork();
        return new TxWork(w.writes(), w.reads(), w.coordinator(), 0x0123456789ABCDEFL, List.of("a", "b", "ünï"), 2);
    }

    private static void assertSameQuorumWork(TxWork actual, TxWork expected) {
        assertSameWork(actual, expected);
        assertThat(actual.stamp()).isEqualTo(expected.stamp());
        assertThat(actual.participants()).isEqualTo(expected.participants());
        assertThat(actual.excluded()).isEqualTo(expected.excluded());
    }

    private static Codec.Hint hint() {
        return new Codec.Hint(Bytes.utf8("gtrid-1"), List.of("a", "b"), 2,
                List.of(Bytes.utf8("k1"), Bytes.wrap(new byte[] { 0, (byte) 0xFF }), Bytes.EMPTY), List.of("c"));
    }

    private static Codec.CatchUp catchUp() {
        Bytes stamped = Stamps.version(99, Bytes.utf8("tx-7"));
        return new Codec.CatchUp(
                List.of(new Codec.KeyState(Bytes.utf8("live"), stamped, new byte[] { 1, 2, (byte) 0xFF }),
                        new Codec.KeyState(Bytes.utf8("deleted"), Stamps.version(98, Bytes.utf8("tx-6")), null),
                        new Codec.KeyState(Bytes.utf8("never-seen"), Bytes.EMPTY, null),
                        new Codec.KeyState(Bytes.utf8("empty-value"), stamped, new byte[0])),
                List.of(new Codec.PrepareRecord(T1, quorumWork()),
                        new Codec.PrepareRecord(branch("tx-2"), work().put("x", "1").build())),
                List.of(Bytes.utf8("gtrid-1"), Bytes.utf8("gtrid-2")));
    }

    @Test
    void aQuorumPrepareRecordRoundTripsWithStampParticipantsAndExcluded() {
        TxWork w = quorumWork();

        Codec.PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(T1, w));

        assertThat(r.branch()).isEqualTo(T1);
        assertSameQuorumWork(r.work(), w);
        assertThat(r.work().isQuorum()).isTrue();
    }

    @Test
    void aFullReplicationPrepareRecordRoundTripsWithoutStampOrParticipants() {
        Codec.PrepareRecord r = Codec.decodePrepare(Codec.encodePrepare(T1, richWork()));

        assertThat(r.work().stamp()).isZero();
        assertThat(r.work().participants()).isEmpty();
        assertThat(r.work().excluded()).isZero();
        assertThat(r.work().isQuorum()).isFalse();
    }

    @Test
    void newPrepareRecordsAreWrittenInFormat2() {
        assertThat(Codec.encodePrepare(T1, richWork())[0]).isEqualTo((byte) 2);
    }

    /** Format 1 as the previous release wrote it: no stamp, participants or excluded count at the end. */
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

    @Test
    void aFormat1PrepareRecordBuiltByHandStillDecodesWithStampZeroAndNoParticipants() throws IOException {
        TxWork w = richWork();

        Codec.PrepareRecord r = Codec.decodePrepare(format1(T1, w));

        assertThat(r.branch()).isEqualTo(T1);
        assertSameWork(r.work(), w);
        assertThat(r.work().stamp()).isZero();
        assertThat(r.work().participants()).isEmpty();
        assertThat(r.work().excluded()).isZero();
    }

    @Test
    void aFormat2RecordWithoutItsTrailingFieldsAndMarkedFormat1StillDecodes() throws IOException {
        TxWork w = quorumWork();
        byte[] v2 = Codec.encodePrepare(T1, w);
        // stamp(8) participants: count(4) + (2 + len) each, excluded(4)
        int trailing = 8 + 4 + (2 + 1) + (2 + 1) + (2 + "ünï".getBytes(java.nio.charset.StandardCharsets.UTF_8).length) + 4;
        byte[] v1 = Arrays.copyOf(v2, v2.length - trailing);
        v1[0] = 1;

        assertThat(v1).as("the hand-written format 1 is the same bytes").isEqualTo(format1(T1, w));
        Codec.PrepareRecord r = Codec.decodePrepare(v1);

        assertSameWork(r.work(), w);
        assertThat(r.work().stamp()).isZero();
        assertThat(r.work().participants()).isEmpty();
        assertThat(r.work().excluded()).isZero();
    }

    @Test
    void aFormat2RecordMarkedFormat1IsRejectedForItsTrailingBytes() {
        byte[] data = Codec.encodePrepare(T1, quorumWork());
        data[0] = 1;

        assertThatThrownBy(() -> Codec.decodePrepare(data)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void decodePrepareRejectsEveryTruncationOfAQuorumRecord() {
        byte[] data = Codec.encodePrepare(T1, quorumWork());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodePrepare(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(StoreCorruptedException.class);
        }
    }

    @Test
    void decodePrepareRejectsANegativeExcludedCount() {
        byte[] data = Codec.encodePrepare(T1, work().put("k", "v").build());
        ByteBuffer.wrap(data).putInt(data.length - 4, -1);

        assertThatThrownBy(() -> Codec.decodePrepare(data)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("excluded");
    }

    @Test
    void aHintRoundTrips() {
        Codec.Hint h = hint();

        Codec.Hint back = Codec.decodeHint(h.gtrid(), Codec.encodeHint(h));

        assertThat(back).isEqualTo(h);
        assertThat(back.keys()).containsExactly(Bytes.utf8("k1"), Bytes.wrap(new byte[] { 0, (byte) 0xFF }), Bytes.EMPTY);
        assertThat(back.participants()).containsExactly("a", "b");
        assertThat(back.excluded()).isEqualTo(2);
        assertThat(back.caughtUp()).containsExactly("c");
    }

    @Test
    void anEmptyHintRoundTrips() {
        Codec.Hint h = new Codec.Hint(Bytes.utf8("g"), List.of(), 0, List.of(), List.of());

        assertThat(Codec.decodeHint(h.gtrid(), Codec.encodeHint(h))).isEqualTo(h);
    }

    @Test
    void aHintIsMissedByNodesNeitherParticipatingNorCaughtUp() {
        Codec.Hint h = hint();

        assertThat(h.missedBy("a")).isFalse();
        assertThat(h.missedBy("c")).isFalse();
        assertThat(h.missedBy("d")).isTrue();
    }

    @Test
    void decodeHintRejectsEveryTruncation() {
        byte[] data = Codec.encodeHint(hint());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeHint(Bytes.utf8("gtrid-1"), cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(StoreCorruptedException.class);
        }
    }

    @Test
    void decodeHintRejectsAHugeKeyCount() {
        byte[] data = Codec.encodeHint(new Codec.Hint(Bytes.utf8("g"), List.of(), 1, List.of(Bytes.utf8("k")), List.of()));
        // participants count(4), excluded(4), key count(4)
        ByteBuffer.wrap(data).putInt(8, Integer.MAX_VALUE);

        assertThatThrownBy(() -> Codec.decodeHint(Bytes.utf8("g"), data)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void aCatchUpAnswerRoundTripsWithDeletedKeysAndInFlightQuorumBranches() {
        Codec.CatchUp c = catchUp();

        Codec.CatchUp back = Codec.decodeCatchUp(Codec.encodeCatchUp(c));

        assertThat(back.keys()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            Codec.KeyState want = c.keys().get(i);
            Codec.KeyState got = back.keys().get(i);
            assertThat(got.key()).isEqualTo(want.key());
            assertThat(got.version()).isEqualTo(want.version());
            if (want.value() == null) {
                assertThat(got.value()).as("value of %s", want.key()).isNull();
            } else {
                assertThat(got.value()).as("value of %s", want.key()).isEqualTo(want.value());
            }
        }
        assertThat(Stamps.stampOf(back.keys().get(0).version())).isEqualTo(99);
        assertThat(back.inFlight()).hasSize(2);
        assertThat(back.inFlight().get(0).branch()).isEqualTo(T1);
        assertSameQuorumWork(back.inFlight().get(0).work(), quorumWork());
        assertThat(back.inFlight().get(1).branch()).isEqualTo(branch("tx-2"));
        assertSameQuorumWork(back.inFlight().get(1).work(), work().put("x", "1").build());
        assertThat(back.hints()).containsExactly(Bytes.utf8("gtrid-1"), Bytes.utf8("gtrid-2"));
    }

    @Test
    void anEmptyCatchUpAnswerRoundTrips() {
        Codec.CatchUp back = Codec.decodeCatchUp(Codec.encodeCatchUp(new Codec.CatchUp(List.of(), List.of(), List.of())));

        assertThat(back.keys()).isEmpty();
        assertThat(back.inFlight()).isEmpty();
        assertThat(back.hints()).isEmpty();
    }

    @Test
    void decodeCatchUpRejectsEveryTruncation() {
        byte[] data = Codec.encodeCatchUp(catchUp());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeCatchUp(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(StoreCorruptedException.class);
        }
    }

    @Test
    void decodeCatchUpRejectsACorruptInFlightRecord() {
        Codec.CatchUp c = new Codec.CatchUp(List.of(), List.of(new Codec.PrepareRecord(T1, quorumWork())), List.of());
        byte[] data = Codec.encodeCatchUp(c);
        // key count(4), in-flight count(4), record length(4), then the record's format byte
        data[12] = 9;

        assertThatThrownBy(() -> Codec.decodeCatchUp(data)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("format");
    }

    @Test
    void aGtridListRoundTrips() {
        List<Bytes> gtrids = List.of(Bytes.utf8("g1"), Bytes.wrap(new byte[64]), Bytes.wrap(new byte[] { (byte) 0xFF }));

        assertThat(Codec.decodeGtrids(Codec.encodeGtrids(gtrids))).isEqualTo(gtrids);
        assertThat(Codec.decodeGtrids(Codec.encodeGtrids(List.of()))).isEmpty();
    }

    @Test
    void decodeGtridsRejectsEveryTruncationAndTrailingBytes() {
        byte[] data = Codec.encodeGtrids(List.of(Bytes.utf8("g1"), Bytes.utf8("g22")));

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeGtrids(cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(StoreCorruptedException.class);
        }
        byte[] longer = Arrays.copyOf(data, data.length + 1);
        assertThatThrownBy(() -> Codec.decodeGtrids(longer)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void decodeGtridsRejectsANegativeCount() {
        byte[] data = Codec.encodeGtrids(List.of(Bytes.utf8("g1")));
        ByteBuffer.wrap(data).putInt(0, -1);

        assertThatThrownBy(() -> Codec.decodeGtrids(data)).isInstanceOf(StoreCorruptedException.class)
                .hasMessageContaining("out of range");
    }
}
