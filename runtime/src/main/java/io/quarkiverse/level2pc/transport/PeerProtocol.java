package io.quarkiverse.level2pc.transport;

import java.nio.charset.StandardCharsets;

/**
 * The peer protocol, version {@value #VERSION}: operations and their HTTP mapping. Every operation is
 * a {@code POST /level-2pc/peer/<operation>} with a binary body (see {@code codec.Codec}):
 *
 * <pre>
 *   hello     "", "lease" or "name"     -> 200 {"node":..,"cluster":..,"protocol":..,"clock":..,"current":..,
 *                                                  "minConsensus":..[,"readLease":..][,"behind":true]}
 *   prepare   prepare record            -> 200 "YES" | "READ_ONLY"; 409 conflict
 *   commit    branch                    -> 200 "DONE"; 404 unknown branch
 *   rollback  branch                    -> 200 "DONE"; 404 unknown branch
 *   batch     frames of (op byte, body) -> 200 frames of (status u16, body): several prepare ('p'), commit ('c') and
 *                                          rollback ('r') messages in one request, answered in order, each as above
 *   recover   ""                        -> 200 branch list (prepared branches coordinated by the caller)
 *   outcome   branch                    -> 200 "COMMITTED" | "ROLLED_BACK" | "IN_PROGRESS" | "UNKNOWN"
 *                                          (asked of a transaction's coordinator: the callback site)
 *   catch-up  ""                        -> 200 catch-up answer (quorum mode: state of the keys the caller missed,
 *                                          branches prepared without it; one page: "more" says ask again once
 *                                          caught-up with its hints)
 *   caught-up transaction id list       -> 200 "DONE" (the caller applied those hints)
 *   branch-state gtrid                  -> 200 "IN_PROGRESS" | "COMMITTED" | "UNKNOWN" (asked of a participant
 *                                          of a transaction whose branch the caller adopted while catching up)
 * </pre>
 *
 * A hello whose body is "lease" asks for a read lease (quorum mode): the answer promises not to commit
 * without the caller for twice read-lease. A hello whose body is "name" only asks who the receiver is: it is
 * answered to any authentic caller and changes nothing; every other request is handled only for a member, a node
 * one of the receiver's configured peers answers hellos as ({@link Membership}: 403 "not a member", 503 "unknown
 * sender" while some peer's name cannot be learned).
 *
 * Version 2 added the commit stamp, participants and excluded count to the prepare record, the clock to
 * hello, and catch-up. Version 3 added the priority to the prepare record (wait-die), the batch
 * operation, and the "promised" refusal; the one-phase commit is gone (a coordinator commits its own
 * branch itself). Version 4 signs the answers ({@value #HEADER_RESPONSE_SIGNATURE}, see {@link PeerAuth}).
 * Version 5 adds traced batch frames: {@code 'P'}, {@code 'C'}, {@code 'R'} followed by a W3C {@code traceparent}
 * ({@value #TRACEPARENT_LENGTH} ASCII bytes) and the message; a traced message travels in a batch, even alone, so
 * its trace context is signed with the body. Version 6 pages the catch-up answer: it ends with a {@code more}
 * flag (a byte, 1: the source left hints out, ask again after {@code caught-up}); answers of every operation are
 * bounded by {@code max-message-size}, as requests are. The "name" hello
 * and the membership check need no new version: a node without them answers a "name" hello as a plain one. Nor
 * does "behind" in the answer to a "lease" hello (quorum mode: the receiver holds a transaction written without
 * the caller, or a hint for one, that the caller has not caught up with; the caller stops reading and catches
 * up): it is said only when true, and an absent field reads as false. Version 7: a prepare in a batch of more than
 * one message never waits for a lock there (it would hold the whole batch's answer); it is answered 423 "wait
 * alone", nothing locked, and the caller sends it again alone, where it may wait.
 *
 * Errors are JSON {@code {"error":..,"detail":..}}: 400 malformed body, 401 authentication, 403 not a member, 404 unknown
 * branch or operation, 405 not a POST, 409 conflict or out-of-order call, 412 other cluster or protocol
 * version, 423 wait alone (a batched prepare that would wait for a lock), 413 body too large ({@code max-message-size}), 415 not {@code application/octet-stream},
 * 500 internal error or corrupted store, 503 not ready, lock wait timeout, or "promised" (quorum mode: a
 * promise to a node left out runs for {@code retryAfterMillis} more, a member of the error). Every handler
 * is idempotent.
 */
public final class PeerProtocol {

    public static final int VERSION = 7;
    /** The status of a batched prepare that would wait for a lock: send it again alone (version 7). */
    public static final int WAIT_ALONE = 423;
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
    public static final String BATCH = "batch";

    /** Operation bytes of the messages in a batch. */
    static final byte FRAME_PREPARE = 'p';
    static final byte FRAME_COMMIT = 'c';
    static final byte FRAME_ROLLBACK = 'r';
    /** A traced message's operation byte: the untraced one in upper case, then its {@code traceparent}. */
    static final byte FRAME_TRACED_PREPARE = 'P';
    static final byte FRAME_TRACED_COMMIT = 'C';
    static final byte FRAME_TRACED_ROLLBACK = 'R';
    /** The length of a W3C {@code traceparent} of version 00: {@code 00-<32 hex>-<16 hex>-<2 hex>}. */
    public static final int TRACEPARENT_LENGTH = 55;

    /** Error of a prepare refused because of a promise to a node left out (quorum mode). */
    public static final String PROMISED = "promised";
    /** Body of a hello that asks for a read lease. */
    static final byte[] ASK_LEASE = "lease".getBytes(StandardCharsets.US_ASCII);
    /** Body of a hello that only asks the receiver's name (answered to any authentic caller, see {@link Membership}). */
    static final byte[] ASK_NAME = "name".getBytes(StandardCharsets.US_ASCII);

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
    /** The node name of the recipient, signed: a node refuses a request addressed to another (empty: only for hello). */
    public static final String HEADER_TO = "X-Level2pc-To";
    /** The answer's signature: HMAC of the request's nonce, the status and the body (see {@link PeerAuth#signResponse}). */
    public static final String HEADER_RESPONSE_SIGNATURE = "X-Level2pc-Response-Signature";

    public static final String VOTE_YES = "YES";
    public static final String VOTE_READ_ONLY = "READ_ONLY";
    public static final String DONE = "DONE";

    private PeerProtocol() {
    }
}
