package io.quarkiverse.level2pc.codec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Hint;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;

/**
 * Binary encodings of what the store persists and the peers exchange. Every stored format starts with a
 * format byte so that a later release can read what an earlier one wrote. Decoding never trusts a length:
 * malformed input is a {@link DecodeException} naming what could not be decoded.
 */
public final class Codec {

    static final byte VALUE_FORMAT = 1;
    /** Format 3 adds the priority; format 2 added the commit stamp, participants and excluded count (1 and 2 are still read). */
    static final byte PREPARE_FORMAT = 3;

    private Codec() {
    }

    /** Writes one encoding. */
    @FunctionalInterface
    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads one encoding from a stream over {@code data} (whose length bounds every count). */
    @FunctionalInterface
    private interface Parse<T> {
        T read(DataInputStream in, int limit) throws IOException;
    }

    private static byte[] encode(int sizeHint, Body body) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(sizeHint);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /** Decodes all of {@code data} (trailing bytes are an error) as {@code what}. */
    private static <T> T decode(byte[] data, String what, Parse<T> parse) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            T result = parse.read(in, data.length);
            if (in.available() > 0) {
                throw new IOException(in.available() + " unexpected trailing bytes");
            }
            return result;
        } catch (IOException | IllegalArgumentException e) {
            throw new DecodeException(what + " cannot be decoded: " + e.getMessage(), e);
        }
    }

    // ---- stored values ----------------------------------------------------------------------

    /** {@code [format][version length: u8][version][value]} */
    public static byte[] encodeValue(Bytes version, byte[] value) {
        if (version.length() > 255) {
            throw new IllegalArgumentException("version longer than 255 bytes: " + version.length());
        }
        byte[] out = new byte[2 + version.length() + value.length];
        out[0] = VALUE_FORMAT;
        out[1] = (byte) version.length();
        System.arraycopy(version.unsafeArray(), 0, out, 2, version.length());
        System.arraycopy(value, 0, out, 2 + version.length(), value.length);
        return out;
    }

    public static Versioned decodeValue(byte[] stored) {
        if (stored.length < 2 || stored[0] != VALUE_FORMAT) {
            throw new DecodeException("stored value has unknown format " + (stored.length == 0 ? "(empty)" : stored[0]));
        }
        int vlen = stored[1] & 0xFF;
        if (stored.length < 2 + vlen) {
            throw new DecodeException("stored value shorter than its version length " + vlen);
        }
        byte[] version = new byte[vlen];
        System.arraycopy(stored, 2, version, 0, vlen);
        byte[] value = new byte[stored.length - 2 - vlen];
        System.arraycopy(stored, 2 + vlen, value, 0, value.length);
        return new Versioned(value, Bytes.wrap(version));
    }

    // ---- prepare records --------------------------------------------------------------------

    public static byte[] encodePrepare(BranchId id, TxWork work) {
        return encode(256, out -> {
            out.writeByte(PREPARE_FORMAT);
            writeBranch(out, id);
            out.writeUTF(work.coordinator());
            out.writeInt(work.writes().size());
            for (Map.Entry<Bytes, byte[]> w : work.writes().entrySet()) {
                writeBytes(out, w.getKey().unsafeArray());
                if (w.getValue() == null) {
                    out.writeInt(-1);
                } else {
                    writeBytes(out, w.getValue());
                }
            }
            out.writeInt(work.reads().size());
            for (Map.Entry<Bytes, Bytes> r : work.reads().entrySet()) {
                writeBytes(out, r.getKey().unsafeArray());
                writeBytes(out, r.getValue().unsafeArray());
            }
            out.writeLong(work.stamp());
            writeNames(out, work.participants());
            out.writeInt(work.excluded());
            out.writeLong(work.priority());
        });
    }

    public static PrepareRecord decodePrepare(byte[] data) {
        return decode(data, "prepare record", (in, limit) -> {
            byte format = in.readByte();
            if (format < 1 || format > PREPARE_FORMAT) {
                throw new IOException("unknown format " + format);
            }
            BranchId id = readBranch(in);
            String coordinator = in.readUTF();
            int nw = count(in.readInt(), limit);
            TreeMap<Bytes, byte[]> writes = new TreeMap<>();
            for (int i = 0; i < nw; i++) {
                Bytes key = Bytes.wrap(readBytes(in, limit));
                int len = in.readInt();
                writes.put(key, len < 0 ? null : readExactly(in, count(len, limit)));
            }
            int nr = count(in.readInt(), limit);
            Map<Bytes, Bytes> reads = new HashMap<>();
            for (int i = 0; i < nr; i++) {
                reads.put(Bytes.wrap(readBytes(in, limit)), Bytes.wrap(readBytes(in, limit)));
            }
            long stamp = 0;
            List<String> participants = List.of();
            int excluded = 0;
            long priority = 0;
            if (format >= 2) {
                stamp = in.readLong();
                participants = readNames(in, limit);
                excluded = in.readInt();
            }
            if (format >= 3) {
                priority = in.readLong();
            }
            return new PrepareRecord(id, new TxWork(writes, reads, coordinator, stamp, participants, excluded, priority));
        });
    }

    // ---- branch ids -------------------------------------------------------------------------

    /** A branch id alone: {@code formatId gtrid-len gtrid bqual-len bqual}. */
    public static byte[] encodeBranch(BranchId id) {
        return encode(8 + id.gtrid().length() + id.bqual().length(), out -> writeBranch(out, id));
    }

    public static BranchId decodeBranch(byte[] data) {
        return decode(data, "branch id", (in, limit) -> readBranch(in));
    }

    /**
     * The branch id a phase message is about: a prepare record's (after its format byte) or a commit's or rollback's,
     * without decoding the rest of the message.
     */
    public static BranchId branchOf(byte[] message, boolean prepare) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
            if (prepare) {
                in.readByte();
            }
            return readBranch(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new DecodeException("branch id cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** A list of branch ids: {@code count branch*}. */
    public static byte[] encodeBranches(List<BranchId> ids) {
        return encode(64, out -> {
            out.writeInt(ids.size());
            for (BranchId id : ids) {
                writeBranch(out, id);
            }
        });
    }

    public static List<BranchId> decodeBranches(byte[] data) {
        return decode(data, "branch list", (in, limit) -> {
            int n = count(in.readInt(), limit);
            List<BranchId> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(readBranch(in));
            }
            return ids;
        });
    }

    // ---- coordinator decisions --------------------------------------------------------------

    /** {@code peer-count (peer-utf branch)*}. */
    public static byte[] encodeDecision(Decision d) {
        return encode(64, out -> {
            out.writeInt(d.peers().size());
            for (Map.Entry<String, BranchId> e : new TreeMap<>(d.peers()).entrySet()) {
                out.writeUTF(e.getKey());
                writeBranch(out, e.getValue());
            }
        });
    }

    public static Decision decodeDecision(Bytes gtrid, byte[] data) {
        return decode(data, "commit decision", (in, limit) -> {
            int n = count(in.readInt(), limit);
            Map<String, BranchId> peers = new HashMap<>();
            for (int i = 0; i < n; i++) {
                peers.put(in.readUTF(), readBranch(in));
            }
            return new Decision(gtrid, peers);
        });
    }

    // ---- quorum mode: hints, catch-up ---------------------------------------------------------

    public static byte[] encodeHint(Hint h) {
        return encode(64, out -> {
            writeNames(out, h.participants());
            out.writeInt(h.excluded());
            out.writeInt(h.keys().size());
            for (Bytes k : h.keys()) {
                writeBytes(out, k.unsafeArray());
            }
            writeNames(out, h.caughtUp());
        });
    }

    public static Hint decodeHint(Bytes gtrid, byte[] data) {
        return decode(data, "catch-up hint", (in, limit) -> {
            List<String> participants = readNames(in, limit);
            int excluded = in.readInt();
            int n = count(in.readInt(), limit);
            List<Bytes> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(Bytes.wrap(readBytes(in, limit)));
            }
            return new Hint(gtrid, participants, excluded, keys, readNames(in, limit));
        });
    }

    public static byte[] encodeCatchUp(CatchUp c) {
        return encode(256, out -> {
            out.writeInt(c.keys().size());
            for (KeyState k : c.keys()) {
                writeBytes(out, k.key().unsafeArray());
                writeBytes(out, k.version().unsafeArray());
                if (k.value() == null) {
                    out.writeInt(-1);
                } else {
                    writeBytes(out, k.value());
                }
            }
            out.writeInt(c.inFlight().size());
            for (PrepareRecord r : c.inFlight()) {
                writeBytes(out, encodePrepare(r.branch(), r.work()));
            }
            writeGtrids(out, c.hints());
            out.writeBoolean(c.more());
        });
    }

    public static CatchUp decodeCatchUp(byte[] data) {
        return decode(data, "catch-up answer", (in, limit) -> {
            int n = count(in.readInt(), limit);
            List<KeyState> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Bytes key = Bytes.wrap(readBytes(in, limit));
                Bytes version = Bytes.wrap(readBytes(in, limit));
                int len = in.readInt();
                keys.add(new KeyState(key, version, len < 0 ? null : readExactly(in, count(len, limit))));
            }
            int p = count(in.readInt(), limit);
            List<PrepareRecord> inFlight = new ArrayList<>(p);
            for (int i = 0; i < p; i++) {
                inFlight.add(decodePrepare(readBytes(in, limit)));
            }
            List<Bytes> hints = readGtrids(in, limit);
            int more = in.readUnsignedByte();
            if (more > 1) {
                throw new IOException("the 'more' flag is " + more + ", not 0 or 1");
            }
            return new CatchUp(keys, inFlight, hints, more == 1);
        });
    }

    /** {@code count (len bytes)*}: a list of global transaction ids. */
    public static byte[] encodeGtrids(List<Bytes> gtrids) {
        return encode(64, out -> writeGtrids(out, gtrids));
    }

    public static List<Bytes> decodeGtrids(byte[] data) {
        return decode(data, "transaction id list", Codec::readGtrids);
    }

    // ---- frames: several peer messages in one request or answer ------------------------------

    /** {@code count (len bytes)*}: the messages of one batched peer request, or the answers to them. */
    public static byte[] encodeFrames(List<byte[]> frames) {
        int size = 4;
        for (byte[] f : frames) {
            size += 4 + f.length;
        }
        return encode(size, out -> {
            out.writeInt(frames.size());
            for (byte[] f : frames) {
                writeBytes(out, f);
            }
        });
    }

    /** The frames of {@link #encodeFrames}; at most {@code maxFrames} of them. */
    public static List<byte[]> decodeFrames(byte[] data, int maxFrames) {
        return decode(data, "message batch", (in, limit) -> {
            int n = in.readInt();
            if (n < 0 || n > maxFrames) {
                throw new IOException(n + " messages, at most " + maxFrames + " allowed in one batch");
            }
            List<byte[]> frames = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                frames.add(readBytes(in, limit));
            }
            return frames;
        });
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void writeGtrids(DataOutputStream out, List<Bytes> gtrids) throws IOException {
        out.writeInt(gtrids.size());
        for (Bytes g : gtrids) {
            writeBytes(out, g.unsafeArray());
        }
    }

    private static List<Bytes> readGtrids(DataInputStream in, int limit) throws IOException {
        int n = count(in.readInt(), limit);
        List<Bytes> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            result.add(Bytes.wrap(readBytes(in, limit)));
        }
        return result;
    }

    private static void writeNames(DataOutputStream out, Collection<String> names) throws IOException {
        out.writeInt(names.size());
        for (String n : names) {
            out.writeUTF(n);
        }
    }

    private static List<String> readNames(DataInputStream in, int limit) throws IOException {
        int n = count(in.readInt(), limit);
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(in.readUTF());
        }
        return names;
    }

    private static void writeBranch(DataOutputStream out, BranchId id) throws IOException {
        out.writeInt(id.formatId());
        out.writeByte(id.gtrid().length());
        out.write(id.gtrid().unsafeArray());
        out.writeByte(id.bqual().length());
        out.write(id.bqual().unsafeArray());
    }

    private static BranchId readBranch(DataInputStream in) throws IOException {
        int formatId = in.readInt();
        byte[] gtrid = readExactly(in, in.readUnsignedByte());
        byte[] bqual = readExactly(in, in.readUnsignedByte());
        return new BranchId(formatId, Bytes.wrap(gtrid), Bytes.wrap(bqual));
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in, int limit) throws IOException {
        return readExactly(in, count(in.readInt(), limit));
    }

    private static byte[] readExactly(DataInputStream in, int len) throws IOException {
        byte[] b = in.readNBytes(len);
        if (b.length != len) {
            throw new EOFException("truncated: " + len + " bytes expected, " + b.length + " left");
        }
        return b;
    }

    /** A count or length read from the input: never negative, never more than the input's own length. */
    private static int count(int n, int limit) throws IOException {
        if (n < 0 || n > limit) {
            throw new IOException("length " + n + " out of range");
        }
        return n;
    }
}
