package io.quarkiverse.level2pc.storage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Layout of the node's single LevelDB. All named databases, prepare records and metadata share it,
 * so that a commit touching several databases and removing its prepare record is ONE atomic write.
 *
 * <pre>
 *   'd' dbName 0x00 userKey   -> StoredValue (version + value)   one entry per live key
 *   'p' branch                -> prepare record                  one entry per prepared branch
 *   'm' name                  -> metadata (format, node name)
 *   'm' "decision/" gtrid     -> a coordinator's commit decision, until every peer acknowledged it
 *   'm' "heuristic/" branch   -> an operator's decision for a branch in doubt
 *   't' dataKey               -> version of a deleted key + deletion time   quorum mode only (tombstones)
 *   'h' gtrid                 -> a commit some nodes missed: its keys       quorum mode only (catch-up hints)
 * </pre>
 *
 * Database names exclude 0x00, so the keys of one database form one contiguous, ordered range.
 */
public final class KeySpace {

    public static final byte DATA = 'd';
    public static final byte PREPARE = 'p';
    public static final byte META = 'm';
    public static final byte TOMBSTONE = 't';
    public static final byte HINT = 'h';

    /** The name under which the default database's keys are stored (see {@link Database#DEFAULT_NAME}). */
    public static final String DEFAULT_DB = Database.DEFAULT_NAME;

    private KeySpace() {
    }

    /** The prefix of every key of database {@code db} (the default one included). */
    public static Bytes dbPrefix(String db) {
        byte[] name = db.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[name.length + 2];
        p[0] = DATA;
        System.arraycopy(name, 0, p, 1, name.length);
        p[p.length - 1] = 0;
        return Bytes.wrap(p);
    }

    public static Bytes dataKey(Bytes dbPrefix, byte[] userKey) {
        byte[] p = dbPrefix.unsafeArray();
        byte[] k = Arrays.copyOf(p, p.length + userKey.length);
        System.arraycopy(userKey, 0, k, p.length, userKey.length);
        return Bytes.wrap(k);
    }

    /**
     * Whether {@code key} is a data key of some database: {@code 'd'}, a non-empty database name, a zero byte,
     * then the user key. Everything else (the node's metadata, prepare records, decisions, tombstones, hints)
     * is the node's own, and no peer's transaction may read or write it.
     */
    public static boolean isDataKey(Bytes key) {
        byte[] k = key.unsafeArray();
        if (k.length < 3 || k[0] != DATA) {
            return false;
        }
        for (int i = 2; i < k.length; i++) {
            if (k[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** The first key {@code work} reads or writes that is not a data key, or {@code null}. */
    public static Bytes firstNotData(TxWork work) {
        for (Bytes k : work.writes().keySet()) {
            if (!isDataKey(k)) {
                return k;
            }
        }
        for (Bytes k : work.reads().keySet()) {
            if (!isDataKey(k)) {
                return k;
            }
        }
        return null;
    }

    /** The user key of an internal data key of the database with prefix {@code dbPrefix}. */
    public static byte[] userKey(Bytes dbPrefix, byte[] internalKey) {
        return Arrays.copyOfRange(internalKey, dbPrefix.length(), internalKey.length);
    }

    /** The database name of a data key ({@link #isDataKey}), or {@code null} for any other key. */
    public static String databaseOf(Bytes internalKey) {
        byte[] k = internalKey.unsafeArray();
        if (k.length > 0 && k[0] == DATA) {
            for (int i = 1; i < k.length; i++) {
                if (k[i] == 0) {
                    return new String(k, 1, i - 1, StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    /**
     * A readable name for an internal key in messages: {@code key 'x' of database 'bank'}. User keys
     * that are not printable text are shown in hex.
     */
    public static String describe(Bytes internalKey) {
        String db = databaseOf(internalKey);
        if (db == null) {
            return "internal key " + internalKey;
        }
        Bytes user = Bytes.wrap(userKey(dbPrefix(db), internalKey.unsafeArray()));
        return "key '" + user + "'" + (DEFAULT_DB.equals(db) ? "" : " of database '" + db + "'");
    }

    static byte[] metaKey(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[n.length + 1];
        k[0] = META;
        System.arraycopy(n, 0, k, 1, n.length);
        return k;
    }

    /** The key of a branch's prepare record: {@code 'p' formatId gtrid-len gtrid bqual-len bqual}. */
    public static byte[] prepareKey(BranchId id) {
        return concat(new byte[] { PREPARE }, Codec.encodeBranch(id));
    }

    static byte[] decisionKey(Bytes gtrid) {
        return concat(metaKey(DECISION), gtrid.unsafeArray());
    }

    static byte[] heuristicKey(BranchId id) {
        return concat(metaKey(HEURISTIC), Codec.encodeBranch(id));
    }

    static byte[] tombstoneKey(byte[] dataKey) {
        return concat(new byte[] { TOMBSTONE }, dataKey);
    }

    static byte[] hintKey(Bytes gtrid) {
        return concat(new byte[] { HINT }, gtrid.unsafeArray());
    }

    static final String DECISION = "decision/";
    static final String HEURISTIC = "heuristic/";

    static byte[] concat(byte[] prefix, byte[] suffix) {
        byte[] k = Arrays.copyOf(prefix, prefix.length + suffix.length);
        System.arraycopy(suffix, 0, k, prefix.length, suffix.length);
        return k;
    }
}
