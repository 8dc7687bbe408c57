package io.quarkiverse.level2pc.core;

import java.util.HexFormat;
import java.util.Objects;

/**
 * Identity of one transaction branch: the XA triple (formatId, global transaction id, branch
 * qualifier), kept as our own value and persisted verbatim. Branches are never compared through a
 * foreign {@code Xid} implementation (Narayana 7.3.3's {@code XidImple.equals} is unreliable against
 * other implementations).
 */
public record BranchId(int formatId, Bytes gtrid, Bytes bqual) {

    /** XA limits both identifiers to 64 bytes. */
    public static final int MAX_ID_LENGTH = 64;

    public BranchId {
        Objects.requireNonNull(gtrid, "gtrid is null");
        Objects.requireNonNull(bqual, "bqual is null");
        if (gtrid.isEmpty() || gtrid.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("global transaction id must be 1.." + MAX_ID_LENGTH + " bytes, got " + gtrid.length());
        }
        if (bqual.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("branch qualifier must be at most " + MAX_ID_LENGTH + " bytes, got " + bqual.length());
        }
    }

    /**
     * The version that this branch's writes stamp on the keys they change: the global transaction
     * id, identical on every node that takes part in the transaction.
     */
    public Bytes version() {
        return gtrid;
    }

    /**
     * Parses the {@link #toString()} form, {@code formatId:gtrid-hex:bqual-hex}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static BranchId parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a branch id is formatId:gtrid-hex:bqual-hex, got '" + text + "'");
        }
        try {
            HexFormat hex = HexFormat.of();
            return new BranchId(Integer.parseInt(parts[0]), Bytes.wrap(hex.parseHex(parts[1])), Bytes.wrap(hex.parseHex(parts[2])));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the format id of branch '" + text + "' is not a number");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("branch '" + text + "' is not formatId:gtrid-hex:bqual-hex: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return formatId + ":" + hex.formatHex(gtrid.unsafeArray()) + ":" + hex.formatHex(bqual.unsafeArray());
    }
}
