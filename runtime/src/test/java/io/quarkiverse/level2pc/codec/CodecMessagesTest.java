package io.quarkiverse.level2pc.codec;

import static io.quarkiverse.level2pc.codec.CodecTest.quorumWork;
import static io.quarkiverse.level2pc.core.CoreFixtures.branch;
import static io.quarkiverse.level2pc.core.CoreFixtures.work;
import static io.quarkiverse.level2pc.storage.StoreAssertions.assertSameWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Hint;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.Stamps;

/** The formats of branch ids, decisions, hints, catch-up answers, id lists and message frames. */
class CodecMessagesTest {

    private static final BranchId T1 = branch("tx-1");

    private static Hint hint() {
        return new Hint(Bytes.utf8("gtrid-1"), List.of("a", "b"), 2,
                List.of(Bytes.utf8("k1"), Bytes.wrap(new byte[] { 0, (byte) 0xFF }), Bytes.EMPTY), List.of("c"));
    }

    private static CatchUp catchUp() {
        Bytes stamped = Stamps.version(99, Bytes.utf8("tx-7"));
        return new CatchUp(
                List.of(new KeyState(Bytes.utf8("live"), stamped, new byte[] { 1, 2, (byte) 0xFF }),
                        new KeyState(Bytes.utf8("deleted"), Stamps.version(98, Bytes.utf8("tx-6")), null),
                        new KeyState(Bytes.utf8("never-seen"), Bytes.EMPTY, null),
                        new KeyState(Bytes.utf8("empty-value"), stamped, new byte[0])),
                List.of(new PrepareRecord(T1, quorumWork()),
                        new PrepareRecord(branch("tx-2"), work().put("x", "1").build())),
                List.of(Bytes.utf8("gtrid-1"), Bytes.utf8("gtrid-2")));
    }

    // ---- branch ids and decisions ----------------------------------------------------------------

    @Test
    void aBranchIdRoundTripsAloneAndInAList() {
        BranchId odd = new BranchId(-7, Bytes.wrap(new byte[64]), Bytes.EMPTY);

        assertThat(Codec.decodeBranch(Codec.encodeBranch(odd))).isEqualTo(odd);
        assertThat(Codec.decodeBranches(Codec.encodeBranches(List.of(T1, odd)))).containsExactly(T1, odd);
        assertThat(Codec.decodeBranches(Codec.encodeBranches(List.of()))).isEmpty();
    }

    @Test
    void decodeBranchRejectsTruncationsAndTrailingBytes() {
        byte[] data = Codec.encodeBranch(T1);

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeBranch(cut)).as("truncated to %d", len).isInstanceOf(DecodeException.class)
                    .hasMessageContaining("branch id");
        }
        assertThatThrownBy(() -> Codec.decodeBranch(Arrays.copyOf(data, data.length + 1))).isInstanceOf(DecodeException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void aDecisionRoundTripsWithItsPeersAndBranches() {
        BranchId other = new BranchId(1, Bytes.utf8("tx-1"), Bytes.utf8("other-bqual"));
        Decision d = new Decision(T1.gtrid(), Map.of("http://127.0.0.1:8081", T1, "http://ünï:8082", other));

        assertThat(Codec.decodeDecision(T1.gtrid(), Codec.encodeDecision(d))).isEqualTo(d);
        Decision settled = new Decision(T1.gtrid(), Map.of());
        assertThat(Codec.decodeDecision(T1.gtrid(), Codec.encodeDecision(settled))).isEqualTo(settled);
    }

    @Test
    void aDecisionIsEncodedTheSameWhateverTheOrderOfItsPeers() {
        Decision d = new Decision(T1.gtrid(), Map.of("p1", T1, "p2", T1, "p3", T1));

        assertThat(Codec.encodeDecision(d)).isEqualTo(Codec.encodeDecision(new Decision(T1.gtrid(), Map.of("p3", T1, "p1", T1,
                "p2", T1))));
    }

    @Test
    void decodeDecisionRejectsEveryTruncation() {
        byte[] data = Codec.encodeDecision(new Decision(T1.gtrid(), Map.of("p1", T1)));

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeDecision(T1.gtrid(), cut)).as("truncated to %d", len)
                    .isInstanceOf(DecodeException.class).hasMessageContaining("commit decision");
        }
    }

    // ---- quorum mode: hints, catch-up answers, gtrid lists ---------------------------------------

    @Test
    void aHintRoundTrips() {
        Hint h = hint();

        Hint back = Codec.decodeHint(h.gtrid(), Codec.encodeHint(h));

        assertThat(back).isEqualTo(h);
        assertThat(back.keys()).containsExactly(Bytes.utf8("k1"), Bytes.wrap(new byte[] { 0, (byte) 0xFF }), Bytes.EMPTY);
        assertThat(back.participants()).containsExactly("a", "b");
        assertThat(back.excluded()).isEqualTo(2);
        assertThat(back.caughtUp()).containsExactly("c");
    }

    @Test
    void anEmptyHintRoundTrips() {
        Hint h = new Hint(Bytes.utf8("g"), List.of(), 0, List.of(), List.of());

        assertThat(Codec.decodeHint(h.gtrid(), Codec.encodeHint(h))).isEqualTo(h);
    }

    @Test
    void decodeHintRejectsEveryTruncation() {
        byte[] data = Codec.encodeHint(hint());

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeHint(Bytes.utf8("gtrid-1"), cut)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(DecodeException.class);
        }
    }

    @Test
    void decodeHintRejectsAHugeKeyCount() {
        byte[] data = Codec.encodeHint(new Hint(Bytes.utf8("g"), List.of(), 1, List.of(Bytes.utf8("k")), List.of()));
        // participants count(4), excluded(4), key count(4)
        ByteBuffer.wrap(data).putInt(8, Integer.MAX_VALUE);

        assertThatThrownBy(() -> Codec.decodeHint(Bytes.utf8("g"), data)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void aCatchUpAnswerRoundTripsWithDeletedKeysAndInFlightQuorumBranches() {
        CatchUp c = catchUp();

        CatchUp back = Codec.decodeCatchUp(Codec.encodeCatchUp(c));

        assertThat(back.keys()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            KeyState want = c.keys().get(i);
            KeyState got = back.keys().get(i);
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
        assertSameWork(back.inFlight().get(0).work(), quorumWork());
        assertThat(back.inFlight().get(1).branch()).isEqualTo(branch("tx-2"));
        assertSameWork(back.inFlight().get(1).work(), work().put("x", "1").build());
        assertThat(back.hints()).containsExactly(Bytes.utf8("gtrid-1"), Bytes.utf8("gtrid-2"));
        assertThat(back.more()).as("a whole answer").isFalse();
    }

    @Test
    void aCatchUpPageSaysWhetherTheSourceLeftHintsOut() {
        CatchUp whole = catchUp();
        CatchUp page = new CatchUp(whole.keys(), whole.inFlight(), whole.hints(), true);

        byte[] pageBytes = Codec.encodeCatchUp(page);
        byte[] wholeBytes = Codec.encodeCatchUp(whole);

        assertThat(Codec.decodeCatchUp(pageBytes).more()).isTrue();
        assertThat(Codec.decodeCatchUp(wholeBytes).more()).isFalse();
        assertThat(Codec.decodeCatchUp(pageBytes).hints()).isEqualTo(whole.hints());
        assertThat(pageBytes).as("the flag is the last byte").hasSize(wholeBytes.length);
        assertThat(pageBytes[pageBytes.length - 1]).isEqualTo((byte) 1);
        assertThat(wholeBytes[wholeBytes.length - 1]).isEqualTo((byte) 0);
    }

    @Test
    void decodeCatchUpRejectsAFlagThatIsNeitherZeroNorOneAndAnAnswerWithoutIt() {
        byte[] data = Codec.encodeCatchUp(new CatchUp(List.of(), List.of(), List.of(Bytes.utf8("g1")), true));
        data[data.length - 1] = 2;

        assertThatThrownBy(() -> Codec.decodeCatchUp(data)).isInstanceOf(DecodeException.class).hasMessageContaining("'more' flag");
        assertThatThrownBy(() -> Codec.decodeCatchUp(Arrays.copyOf(data, data.length - 1)))
                .as("an answer of protocol version 5 (no flag)").isInstanceOf(DecodeException.class);
    }

    @Test
    void anEmptyCatchUpAnswerRoundTrips() {
        CatchUp back = Codec.decodeCatchUp(Codec.encodeCatchUp(new CatchUp(List.of(), List.of(), List.of())));

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
                    .isInstanceOf(DecodeException.class);
        }
    }

    @Test
    void decodeCatchUpRejectsACorruptInFlightRecord() {
        CatchUp c = new CatchUp(List.of(), List.of(new PrepareRecord(T1, quorumWork())), List.of());
        byte[] data = Codec.encodeCatchUp(c);
        // key count(4), in-flight count(4), record length(4), then the record's format byte
        data[12] = 9;

        assertThatThrownBy(() -> Codec.decodeCatchUp(data)).isInstanceOf(DecodeException.class)
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
                    .isInstanceOf(DecodeException.class);
        }
        byte[] longer = Arrays.copyOf(data, data.length + 1);
        assertThatThrownBy(() -> Codec.decodeGtrids(longer)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void decodeGtridsRejectsANegativeCount() {
        byte[] data = Codec.encodeGtrids(List.of(Bytes.utf8("g1")));
        ByteBuffer.wrap(data).putInt(0, -1);

        assertThatThrownBy(() -> Codec.decodeGtrids(data)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("out of range");
    }

    // ---- frames: several peer messages in one request ------------------------------------------

    @Test
    void framesRoundTripInOrderEmptyOnesIncluded() {
        List<byte[]> frames = List.of(new byte[] { 1, 2, 3 }, new byte[0], Codec.encodeBranch(T1), new byte[] { (byte) 0xFF });

        List<byte[]> back = Codec.decodeFrames(Codec.encodeFrames(frames), 10);

        assertThat(back).hasSize(4);
        for (int i = 0; i < frames.size(); i++) {
            assertThat(back.get(i)).as("frame %d", i).isEqualTo(frames.get(i));
        }
        assertThat(Codec.decodeFrames(Codec.encodeFrames(List.of()), 0)).isEmpty();
    }

    @Test
    void decodeFramesAcceptsExactlyMaxFramesAndRejectsOneMore() {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            frames.add(new byte[] { (byte) i });
        }
        byte[] data = Codec.encodeFrames(frames);

        assertThat(Codec.decodeFrames(data, 5)).hasSize(5);
        assertThatThrownBy(() -> Codec.decodeFrames(data, 4)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("message batch").hasMessageContaining("5 messages, at most 4");
    }

    @Test
    void decodeFramesRejectsANegativeOrHugeCount() {
        for (int bad : new int[] { -1, Integer.MIN_VALUE, Integer.MAX_VALUE }) {
            byte[] data = ByteBuffer.allocate(4).putInt(bad).array();

            assertThatThrownBy(() -> Codec.decodeFrames(data, 256)).as("count %d", bad).isInstanceOf(DecodeException.class)
                    .hasMessageContaining("at most 256");
        }
    }

    @Test
    void decodeFramesRejectsACountBeyondTheFramesPresent() {
        byte[] data = ByteBuffer.allocate(4).putInt(200).array();

        assertThatThrownBy(() -> Codec.decodeFrames(data, 256)).isInstanceOf(DecodeException.class).hasMessageContaining("message batch");
    }

    @Test
    void decodeFramesRejectsAFrameLongerThanTheInput() {
        byte[] data = ByteBuffer.allocate(12).putInt(1).putInt(1_000_000).putInt(7).array();

        assertThatThrownBy(() -> Codec.decodeFrames(data, 10)).isInstanceOf(DecodeException.class).hasMessageContaining("out of range");
    }

    @Test
    void decodeFramesRejectsEveryTruncationAndTrailingBytes() {
        byte[] data = Codec.encodeFrames(List.of(new byte[] { 1, 2 }, new byte[] { 3 }));

        for (int len = 0; len < data.length; len++) {
            byte[] cut = Arrays.copyOf(data, len);
            assertThatThrownBy(() -> Codec.decodeFrames(cut, 10)).as("truncated to %d of %d bytes", len, data.length)
                    .isInstanceOf(DecodeException.class);
        }
        assertThatThrownBy(() -> Codec.decodeFrames(Arrays.copyOf(data, data.length + 2), 10)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("trailing");
    }
}
