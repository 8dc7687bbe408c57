package io.quarkiverse.level2pc.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Binary encodings of what the store persists. Every format starts with a format byte so that a
 * later release can read what an earlier one wrote.
 */
public final class Codec {

    static final byte VALUE_FORMAT = 1;
    /** Format 2 adds the commit stamp, the participants and the excluded count (format 1 is still read). */
    static final byte PREPARE_FORMAT = 2;

    private Codec() {
    }

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
            throw new StoreCorruptedException("stored value has unknown format " + (stored.length == 0 ? "(empty)" : stored[0]));
        }
        int vlen = stored[1] & 0xFF;
        if (stored.length < 2 + vlen) {
            throw new StoreCorruptedException("stored value shorter than its version length " + vlen);
        }
        byte[] version = new byte[vlen];
        System.arraycopy(stored, 2, version, 0, vlen);
        byte[] value = new byte[stored.length - 2 - vlen];
        System.arraycopy(stored, 2 + vlen, value, 0, value.length);
        return new Versioned(value, Bytes.wrap(version));
    }

    /** The key of a branch's prepare record: {@code 'p' formatId gtrid-len gtrid bqual-len bqual}. */
    public static byte[] prepareKey(BranchId id) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(8 + id.gtrid().length() + id.bqual().length());
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeByte(KeySpace.PREPARE);
            writeBranch(out, id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static byte[] encodePrepare(BranchId id, TxWork work) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bos)) {
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public record PrepareRecord(BranchId branch, TxWork work) {
    }

    /**
     * A coordinator's commit decision that outlives Narayana's log: the peer branches of a committed
     * transaction whose commit the peers have not acknowledged yet, by peer base URI.
     */
    public record Decision(Bytes gtrid, java.util.Map<String, BranchId> peers) {
        public Decision {
            peers = java.util.Map.copyOf(peers);
        }

        /** The same decision once {@code peer} acknowledged its commit. */
        public Decision without(String peer) {
            java.util.Map<String, BranchId> rest = new java.util.HashMap<>(peers);
            rest.remove(peer);
            return new Decision(gtrid, rest);
        }
    }

    /**
     * Quorum mode: a transaction committed without some nodes ({@code excluded} of them), kept by each of
     * its {@code participants} until that many other nodes caught up ({@code caughtUp}).
     */
    public record Hint(Bytes gtrid, java.util.List<String> participants, int excluded, java.util.List<Bytes> keys,
            java.util.List<String> caughtUp) {
        public Hint {
            participants = java.util.List.copyOf(participants);
            keys = java.util.List.copyOf(keys);
            caughtUp = java.util.List.copyOf(caughtUp);
        }

        /** Whether node {@code name} missed this commit and has not caught up with it yet. */
        public boolean missedBy(String name) {
            return !participants.contains(name) && !caughtUp.contains(name);
        }
    }

    public static byte[] encodeHint(Hint h) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            writeNames(out, h.participants());
            out.writeInt(h.excluded());
            out.writeInt(h.keys().size());
            for (Bytes k : h.keys()) {
                writeBytes(out, k.unsafeArray());
            }
            writeNames(out, h.caughtUp());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static Hint decodeHint(Bytes gtrid, byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            java.util.List<String> participants = readNames(in, data.length);
            int excluded = in.readInt();
            int n = in.readInt();
            checkCount(n, data.length);
            java.util.List<Bytes> keys = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(Bytes.wrap(readBytes(in, data.length)));
            }
            return new Hint(gtrid, participants, excluded, keys, readNames(in, data.length));
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("catch-up hint cannot be decoded: " + e.getMessage(), e);
        }
    }

    /**
     * One key as a catch-up source holds it: its version ({@link Bytes#EMPTY} if the source never saw it)
     * and value ({@code null}: deleted or absent).
     */
    public record KeyState(Bytes key, Bytes version, byte[] value) {
    }

    /**
     * A catch-up source's answer: the current state of every key its hints name for the caller, its
     * branches prepared without the caller (the caller adopts them), and the hints it sent (dropped once
     * the caller applied them).
     */
    public record CatchUp(java.util.List<KeyState> keys, java.util.List<PrepareRecord> inFlight, java.util.List<Bytes> hints) {
    }

    public static byte[] encodeCatchUp(CatchUp c) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static CatchUp decodeCatchUp(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            int n = in.readInt();
            checkCount(n, data.length);
            java.util.List<KeyState> keys = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Bytes key = Bytes.wrap(readBytes(in, data.length));
                Bytes version = Bytes.wrap(readBytes(in, data.length));
                int len = in.readInt();
                byte[] value = null;
                if (len >= 0) {
                    checkCount(len, data.length);
                    value = in.readNBytes(len);
                }
                keys.add(new KeyState(key, version, value));
            }
            int p = in.readInt();
            checkCount(p, data.length);
            java.util.List<PrepareRecord> inFlight = new java.util.ArrayList<>(p);
            for (int i = 0; i < p; i++) {
                inFlight.add(decodePrepare(readBytes(in, data.length)));
            }
            return new CatchUp(keys, inFlight, readGtrids(in, data.length));
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("catch-up answer cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** {@code count (len bytes)*}: a list of global transaction ids. */
    public static byte[] encodeGtrids(java.util.List<Bytes> gtrids) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            writeGtrids(out, gtrids);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static java.util.List<Bytes> decodeGtrids(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            java.util.List<Bytes> result = readGtrids(in, data.length);
            if (in.available() > 0) {
                throw new IOException(in.available() + " unexpected trailing bytes");
            }
            return result;
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("transaction id list cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** {@code peer-count (peer-utf branch)*}. */
    public static byte[] encodeDecision(Decision d) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeInt(d.peers().size());
            for (java.util.Map.Entry<String, BranchId> e : new java.util.TreeMap<>(d.peers()).entrySet()) {
                out.writeUTF(e.getKey());
                writeBranch(out, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static Decision decodeDecision(Bytes gtrid, byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            int n = in.readInt();
            checkCount(n, 10_000);
            java.util.Map<String, BranchId> peers = new java.util.HashMap<>();
            for (int i = 0; i < n; i++) {
                peers.put(in.readUTF(), readBranch(in));
            }
            return new Decision(gtrid, peers);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("commit decision cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** A branch id alone: {@code formatId gtrid-len gtrid bqual-len bqual}. */
    public static byte[] encodeBranch(BranchId id) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(8 + id.gtrid().length() + id.bqual().length());
        try (DataOutputStream out = new DataOutputStream(bos)) {
            writeBranch(out, id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /** @throws StoreCorruptedException (an {@code IllegalArgumentException}-like failure) if malformed */
    public static BranchId decodeBranch(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            BranchId id = readBranch(in);
            if (in.available() > 0) {
                throw new IOException(in.available() + " unexpected trailing bytes");
            }
            return id;
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("branch id cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** A list of branch ids: {@code count branch*} (each branch as {@link #encodeBranch} writes it). */
    public static byte[] encodeBranches(java.util.List<BranchId> ids) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeInt(ids.size());
            for (BranchId id : ids) {
                writeBranch(out, id);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static java.util.List<BranchId> decodeBranches(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            int n = in.readInt();
            checkCount(n, data.length);
            java.util.List<BranchId> ids = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(readBranch(in));
            }
            return ids;
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("branch list cannot be decoded: " + e.getMessage(), e);
        }
    }

    public static PrepareRecord decodePrepare(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            byte format = in.readByte();
            if (format != PREPARE_FORMAT && format != 1) {
                throw new StoreCorruptedException("prepare record has unknown format " + format);
            }
            BranchId id = readBranch(in);
            String coordinator = in.readUTF();
            int nw = in.readInt();
            checkCount(nw, data.length);
            TreeMap<Bytes, byte[]> writes = new TreeMap<>();
            for (int i = 0; i < nw; i++) {
                Bytes key = Bytes.wrap(readBytes(in, data.length));
                int len = in.readInt();
                byte[] value = null;
                if (len >= 0) {
                    checkCount(len, data.length);
                    value = in.readNBytes(len);
                    if (value.length != len) {
                        throw new EOFException();
                    }
                }
                writes.put(key, value);
            }
            int nr = in.readInt();
            checkCount(nr, data.length);
            Map<Bytes, Bytes> reads = new HashMap<>();
            for (int i = 0; i < nr; i++) {
                reads.put(Bytes.wrap(readBytes(in, data.length)), Bytes.wrap(readBytes(in, data.length)));
            }
            long stamp = 0;
            java.util.List<String> participants = java.util.List.of();
            int excluded = 0;
            if (format >= 2) {
                stamp = in.readLong();
                participants = readNames(in, data.length);
                excluded = in.readInt();
            }
            if (in.available() > 0) {
                throw new IOException(in.available() + " unexpected trailing bytes");
            }
            return new PrepareRecord(id, new TxWork(writes, reads, coordinator, stamp, participants, excluded));
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("prepare record cannot be decoded: " + e, e);
        }
    }

    private static void writeGtrids(DataOutputStream out, java.util.List<Bytes> gtrids) throws IOException {
        out.writeInt(gtrids.size());
        for (Bytes g : gtrids) {
            writeBytes(out, g.unsafeArray());
        }
    }

    private static java.util.List<Bytes> readGtrids(DataInputStream in, int limit) throws IOException {
        int n = in.readInt();
        checkCount(n, limit);
        java.util.List<Bytes> result = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            result.add(Bytes.wrap(readBytes(in, limit)));
        }
        return result;
    }

    static void writeNames(DataOutputStream out, java.util.Collection<String> names) throws IOException {
        out.writeInt(names.size());
        for (String n : names) {
            out.writeUTF(n);
        }
    }

    static java.util.List<String> readNames(DataInputStream in, int limit) throws IOException {
        int n = in.readInt();
        checkCount(n, limit);
        java.util.List<String> names = new java.util.ArrayList<>(n);
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
        int glen = in.readUnsignedByte();
        byte[] gtrid = in.readNBytes(glen);
        int blen = in.readUnsignedByte();
        byte[] bqual = in.readNBytes(blen);
        if (gtrid.length != glen || bqual.length != blen) {
            throw new EOFException("branch id truncated");
        }
        return new BranchId(formatId, Bytes.wrap(gtrid), Bytes.wrap(bqual));
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in, int limit) throws IOException {
        int len = in.readInt();
        checkCount(len, limit);
        byte[] b = in.readNBytes(len);
        if (b.length != len) {
            throw new EOFException("record truncated");
        }
        return b;
    }

    private static void checkCount(int n, int limit) throws IOException {
        if (n < 0 || n > limit) {
            throw new IOException("length " + n + " out of range");
        }
    }
}
