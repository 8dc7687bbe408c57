package io.quarkiverse.level2pc.core;

/**
 * Versions carrying a commit stamp: {@code 0xFF stamp(8 bytes, big-endian) gtrid}. Equal versions mean
 * "written by the same transaction" (the gtrid is unique); the stamp orders versions. In quorum mode a
 * participant prepares a write only if its stamp is greater than the stamps of the keys it overwrites
 * (live or deleted), so of two transactions writing the same key the later one always carries the greater
 * stamp on every node: a node that missed commits can take, key by key, the version with the greatest stamp.
 * Versions without the marker (written by full-replication mode before stamps existed) have stamp 0.
 */
public final class Stamps {

    private static final byte MARKER = (byte) 0xFF;

    private Stamps() {
    }

    /** The version of a write of a transaction with global id {@code gtrid} committed at {@code stamp}. */
    public static Bytes version(long stamp, Bytes gtrid) {
        if (stamp == 0) {
            return gtrid;
        }
        byte[] g = gtrid.unsafeArray();
        byte[] v = new byte[9 + g.length];
        v[0] = MARKER;
        for (int i = 0; i < 8; i++) {
            v[1 + i] = (byte) (stamp >>> (56 - 8 * i));
        }
        System.arraycopy(g, 0, v, 9, g.length);
        return Bytes.wrap(v);
    }

    /** The stamp of a version, 0 if it has none (or is empty: an absent key). */
    public static long stampOf(Bytes version) {
        byte[] v = version.unsafeArray();
        if (v.length < 9 || v[0] != MARKER) {
            return 0;
        }
        long s = 0;
        for (int i = 1; i <= 8; i++) {
            s = (s << 8) | (v[i] & 0xFF);
        }
        return s;
    }
}
