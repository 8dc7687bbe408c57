package io.quarkiverse.level2pc.transport;

/**
 * The peer protocol, version {@value #VERSION}: operations and their HTTP mapping. Every operation is
 * a {@code POST /level-2pc/peer/<operation>} with a binary body (see {@code storage.Codec}):
 *
 * <pre>
 *   hello     ""                        -> 200 {"node":..,"cluster":..,"protocol":..}
 *   prepare   prepare record            -> 200 "YES" | "READ_ONLY"; 409 conflict
 *   commit    0x00 branch               -> 200 "DONE"; 404 unknown branch (two-phase)
 *             0x01 prepare record       -> 200 "DONE"; 409 conflict (one-phase)
 *   rollback  branch                    -> 200 "DONE"; 404 unknown branch
 *   recover   ""                        -> 200 branch list (prepared branches coordinated by the caller)
 *   outcome   branch                    -> 200 "COMMITTED" | "ROLLED_BACK" | "IN_PROGRESS" | "NOT_COORDINATOR"
 *                                          (asked of a transaction's coordinator: the callback site)
 *   catch-up  ""                        -> 200 catch-up answer (quorum mode: state of the keys the caller missed,
 *                                          branches prepared without it)
 *   caught-up transaction id list       -> 200 "DONE" (the caller applied those hints)
 *   branch-state gtrid                  -> 200 "IN_PROGRESS" | "COMMITTED" | "NO_RECORD" (asked of a participant
 *                                          of a transaction whose branch the caller adopted while catching up)
 *
 * A hello whose body is "lease" asks for a read lease (quorum mode): the answer promises not to commit
 * without the caller for twice read-lease. The hello answer also carries "clock" and "current".
 * </pre>
 *
 * Version 2 added the commit stamp, participants and excluded count to the prepare record, the clock to
 * hello, and catch-up.
 *
 * Errors are JSON {@code {"error":..,"detail":..}}: 400 malformed body, 401 authentication, 404 unknown
 * branch or operation, 405 not a POST, 409 conflict or out-of-order call, 412 other cluster or protocol
 * version, 413 body too large ({@code max-message-size}), 415 not {@code application/octet-stream},
 * 500 internal error or corrupted store, 503 not ready or lock wait timeout. Every handler is idempotent.
 */
public final class PeerProtocol {

    public static final int VERSION = 2;
    public static final String PATH_PREFIX = "/level-2pc/peer/";

    public static final String HELLO = "hello";
    public static final String PREPARE = "prepare";
    public static final String COMMIT = "commit";
    public static final String ROLLBACK = "rollback";
    public static final String RECOVER = "recover";
    public static final String OUTCOME = "outcome";
    public static final String CATCH_UP = "catch-up";
    public static final String CAUGHT_UP = "caught-up";
    public static final String BRANCH_STATE = "branch-state";
    /** Body of a hello that asks for a read lease. */
    static final byte[] ASK_LEASE = "lease".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Error of a second-phase call for a branch an operator committed by hand. */
    public static final String HEURISTIC_COMMIT = "heuristic commit";
    /** Error of a second-phase call for a branch an operator rolled back by hand. */
    public static final String HEURISTIC_ROLLBACK = "heuristic rollback";

    public static final String HEADER_NODE = "X-Level2pc-Node";
    public static final String HEADER_CLUSTER = "X-Level2pc-Cluster";
    public static final String HEADER_PROTOCOL = "X-Level2pc-Protocol";
    public static final String HEADER_DATE = "X-Level2pc-Date";
    public static final String HEADER_NONCE = "X-Level2pc-Nonce";
    public static final String HEADER_SIGNATURE = "X-Level2pc-Signature";

    public static final String VOTE_YES = "YES";
    public static final String VOTE_READ_ONLY = "READ_ONLY";
    public static final String DONE = "DONE";

    private PeerProtocol() {
    }
}
