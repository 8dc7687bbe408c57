package io.quarkiverse.level2pc.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Identities of the transactions a node coordinates itself (every standalone write, and every JTA
 * transaction the node commits in one phase). Shaped like Narayana's: a 28-byte unique part followed by
 * the coordinator's node name, with a format id of their own ({@value #FORMAT_ID}, "L2PC") so that
 * Narayana's recovery never mistakes them for its own. The unique part is {@code "L2PC"}, a random boot
 * id chosen when the node starts, and a counter: unique across restarts without any clock.
 */
public final class TxIds {

    /** The format id of transactions coordinated by a level-2pc node itself. */
    public static final int FORMAT_ID = 0x4C325043;
    /** Bytes before the coordinator's node name in a global transaction id (as in Narayana's). */
    public static final int UNIQUE_BYTES = 28;

    private static final Bytes BQUAL = Bytes.wrap(new byte[] { 1 });

    private final byte[] nodeName;
    private final long bootId;
    private long counter;

    public TxIds(String nodeName, long bootId) {
        this.nodeName = nodeName.getBytes(StandardCharsets.UTF_8);
        if (this.nodeName.length + UNIQUE_BYTES > BranchId.MAX_ID_LENGTH) {
            throw new IllegalArgumentException("node name '" + nodeName + "' is too long for a transaction id");
        }
        this.bootId = bootId;
    }

    /** A new, never used branch id. */
    public synchronized BranchId next() {
        ByteBuffer b = ByteBuffer.allocate(UNIQUE_BYTES + nodeName.length);
        b.put((byte) 'L').put((byte) '2').put((byte) 'P').put((byte) 'C');
        b.putLong(bootId).putLong(++counter).putLong(0);
        b.put(nodeName);
        return new BranchId(FORMAT_ID, Bytes.wrap(b.array()), BQUAL);
    }

    /**
     * The node name a global transaction id of this format or of Narayana's carries after its unique part,
     * or {@code null} if it has none.
     */
    public static String coordinatorIn(Bytes gtrid) {
        byte[] g = gtrid.unsafeArray();
        if (g.length <= UNIQUE_BYTES) {
            return null;
        }
        return new String(g, UNIQUE_BYTES, g.length - UNIQUE_BYTES, StandardCharsets.UTF_8);
    }
}
