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
    static final byte PREPARE_FORMAT = 1;

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
            if (format != PREPARE_FORMAT) {
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
            if (in.available() > 0) {
                throw new IOException(in.available() + " unexpected trailing bytes");
            }
            return new PrepareRecord(id, new TxWork(writes, reads, coordinator));
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreCorruptedException("prepare record cannot be decoded: " + e, e);
        }
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
