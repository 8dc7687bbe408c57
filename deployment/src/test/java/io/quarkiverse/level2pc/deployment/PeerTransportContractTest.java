package io.quarkiverse.level2pc.deployment;

import static io.quarkiverse.level2pc.deployment.PeerTestSupport.branch;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.key;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.preparedOnDisk;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.readOnly;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.readThenWrite;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.utf8;
import static io.quarkiverse.level2pc.deployment.PeerTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.transaction.xa.Xid;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.codec.Codec;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Reads;
import io.quarkiverse.level2pc.node.PeerLink;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkus.test.QuarkusUnitTest;

/**
 * What every {@link PeerTransport} must deliver when a coordinator talks to a participant node: the
 * participant's answers reach the coordinator's {@link PeerClient} as the same votes, completions,
 * outcomes and exceptions whichever transport carries them, alone or batched. Each subclass runs these
 * cases against one transport and a running application of its own (the participant), driven as if by a coordinator
 * node called {@value #COORDINATOR}: the participant lists it (and the other coordinators of the recovery case) as
 * peers, {@link FakeMember}s, since it serves members only. (Protocol 3 has no one-phase commit to a peer: the cases
 * for it are gone.)
 */
public abstract class PeerTransportContractTest {

    static final String NODE = "participant";
    static final String CLUSTER = "contract-cluster";
    static final String COORDINATOR = "coordinator-x";
    /** The coordinators of the recovery case: members too. */
    static final List<String> RECOVERING = List.of("coordinator-rec-x", "coordinator-rec-y", "coordinator-rec-z");

    /** The participant's peers: a fake member for every coordinator the cases play. */
    static String members() {
        List<String> addresses = new ArrayList<>();
        addresses.add(FakeMember.address(COORDINATOR, CLUSTER));
        RECOVERING.forEach(name -> addresses.add(FakeMember.address(name, CLUSTER)));
        return String.join(",", addresses);
    }

    /** The participant application: a single node with a cluster secret and a short lock wait. */
    static QuarkusUnitTest participantApp(Class<? extends PeerTransportContractTest> testClass) {
        return new QuarkusUnitTest()
                .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class,
                        InMemoryPeerTransport.class, RecordingXAResource.class, FakeMember.class, PeerTransportContractTest.class,
                        testClass))
                .overrideConfigKey("quarkus.http.test-port", "0")
                .overrideConfigKey("quarkus.level-2pc.node-name", NODE)
                .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
                .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
                .overrideConfigKey("quarkus.level-2pc.peers", members())
                .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "300ms")
                .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(testClass));
    }

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;

    /** Runs the calls of a transport that cannot send without blocking (PeerTransport.sendAsync's default). */
    private static final ExecutorService CALLS = Executors.newCachedThreadPool();

    /** The transport under test. */
    protected abstract PeerTransport transport();

    /** The participant's address for {@link #transport()}. */
    protected abstract URI participant();

    /** An address where {@link #transport()} reaches no node. */
    protected abstract URI unreachable();

    private PeerClient client() {
        return client(COORDINATOR);
    }

    /** A client as a node has one: it said hello to the participant first, so it addresses its requests to it by name. */
    private PeerClient client(String self) {
        PeerClient c = new PeerClient(transport(), self, CALLS);
        c.hello(peer(), false).exceptionally(e -> null).join();
        return c;
    }

    private String peer() {
        return participant().toString();
    }

    /** Waits for a call; a failure is rethrown as what caused it. */
    private static <T> T join(CompletableFuture<T> call) {
        return Futures.join(call.orTimeout(60, TimeUnit.SECONDS));
    }

    private Vote prepare(BranchId b, TxWork work) {
        return join(client().prepare(peer(), b, work));
    }

    private Completion commit(BranchId b) {
        return join(client().commit(peer(), b));
    }

    private Completion rollback(BranchId b) {
        return join(client().rollback(peer(), b));
    }

    private LocalNode local() {
        assertThat(node.nodeIfOpen()).as("the participant's store is open").isNotNull();
        return node.nodeIfOpen().local();
    }

    private Reads reads() {
        return node.nodeIfOpen().reads();
    }

    private String committedValue(String userKey) {
        Versioned v = reads().read(key(userKey));
        return v == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    /**
     * Many callers at once through ONE client, so that phase messages to the participant also travel in
     * batches: every call gets its own, complete answer (a transport that reuses connections must never
     * hand one call's answer, or an empty one, to another; a batch answers each of its messages), and every
     * commit on disjoint keys applies.
     */
    @Test
    void concurrentCallsEachGetTheirOwnCompleteAnswer() throws Exception {
        int threads = 16;
        int calls = 60;
        PeerClient shared = client();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < calls; i++) {
                        BranchId b = branch("concurrent-" + thread + "-" + i);
                        String k = "c-" + thread + "-" + i;
                        if (i % 3 == 0) {
                            assertThat(join(shared.hello(peer(), false)).node()).isEqualTo(NODE);
                        } else if (i % 3 == 1) {
                            assertThat(join(shared.prepare(peer(), b, write(COORDINATOR, k, "v")))).isEqualTo(Vote.YES);
                            assertThat(join(shared.rollback(peer(), b))).isEqualTo(Completion.DONE);
                        } else {
                            assertThat(join(shared.prepare(peer(), b, write(COORDINATOR, k, "v")))).isEqualTo(Vote.YES);
                            assertThat(join(shared.commit(peer(), b))).isEqualTo(Completion.DONE);
                        }
                        ok++;
                    }
                    return ok;
                }));
            }
            for (Future<Integer> r : results) {
                assertThat(r.get(120, TimeUnit.SECONDS)).isEqualTo(calls);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < threads; t++) {
            for (int i = 1; i < calls; i += 3) {
                assertThat(committedValue("c-" + t + "-" + i)).as("rolled back").isNull();
                assertThat(db.get("c-" + t + "-" + (i + 1))).as("committed").isEqualTo("v");
            }
        }
        assertThat(local().prepared()).as("nothing left prepared").isEmpty();
    }

    /** One batch request, as a client sends it under load: each message is answered in its frame, in order. */
    @Test
    void aBatchIsAnsweredMessageByMessage() {
        db.put("batch-read", "v1");
        BranchId yes = branch("batch-yes");
        BranchId stale = branch("batch-stale");
        List<byte[]> frames = List.of(
                frame('p', Codec.encodePrepare(yes, write(COORDINATOR, "batch-key", "b"))),
                frame('p', Codec.encodePrepare(stale, readThenWrite(COORDINATOR, "batch-read", Bytes.utf8("old"), "batch-2", "x"))),
                frame('r', Codec.encodeBranch(branch("batch-unknown"))));

        PeerResponse r = transport().send(participant(), new PeerRequest(COORDINATOR, PeerProtocol.BATCH, Codec.encodeFrames(frames), NODE));

        assertThat(r.status()).isEqualTo(200);
        List<PeerResponse> answers = Codec.decodeFrames(r.body(), frames.size()).stream()
                .map(f -> new PeerResponse(((f[0] & 0xFF) << 8) | (f[1] & 0xFF), Arrays.copyOfRange(f, 2, f.length))).toList();
        assertThat(answers).extracting(PeerResponse::status).containsExactly(200, 409, 404);
        assertThat(answers.get(0).bodyText()).isEqualTo(PeerProtocol.VOTE_YES);
        assertThat(answers.get(1).bodyText()).contains("\"error\":\"conflict\"");
        assertThat(answers.get(2).bodyText()).contains("unknown branch");
        assertThat(local().prepared()).contains(yes).doesNotContain(stale);
        assertThat(commit(yes)).isEqualTo(Completion.DONE);
        assertThat(db.get("batch-key")).isEqualTo("b");
    }

    private static byte[] frame(char op, byte[] body) {
        byte[] f = new byte[body.length + 1];
        f[0] = (byte) op;
        System.arraycopy(body, 0, f, 1, body.length);
        return f;
    }

    @Test
    void helloNamesTheNodeItsClusterAndTheProtocol() {
        PeerLink.Hello hello = join(client().hello(peer(), false));
        // It also says the settings every node must share: min-consensus (4 here: all its peers), no read lease (full mode).
        assertThat(hello).isEqualTo(new PeerLink.Hello(NODE, CLUSTER, PeerProtocol.VERSION, hello.clock(), true, 4, -1));
        assertThat(hello.clock()).as("the participant's clock reading").isPositive();
    }

    @Test
    void prepareOfWritesVotesYesOnlyAfterTheRecordIsDurableAndLocksTheKey() {
        BranchId b = branch("prepare");

        assertThat(prepare(b, write(COORDINATOR, "prepared-key", "new"))).isEqualTo(Vote.YES);

        assertThat(local().prepared()).contains(b);
        assertThat(preparedOnDisk(local().store())).as("prepare record in LevelDB").contains(b);
        // The new value may be acknowledged at any moment: no reader may see the old state meanwhile.
        assertThatThrownBy(() -> reads().read(key("prepared-key")))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");

        assertThat(rollback(b)).isEqualTo(Completion.DONE);
    }

    @Test
    void duplicatePrepareVotesYesAgain() {
        BranchId b = branch("dup-prepare");
        assertThat(prepare(b, write(COORDINATOR, "dup-prepare", "v"))).isEqualTo(Vote.YES);
        assertThat(prepare(b, write(COORDINATOR, "dup-prepare", "v"))).isEqualTo(Vote.YES);
        assertThat(local().prepared()).containsOnlyOnce(b);
        assertThat(commit(b)).isEqualTo(Completion.DONE);
        assertThat(committedValue("dup-prepare")).isEqualTo("v");
    }

    @Test
    void commitAppliesTheWritesStampedWithTheGlobalTransactionId() {
        BranchId b = branch("commit");
        assertThat(prepare(b, write(COORDINATOR, "committed-key", "committed"))).isEqualTo(Vote.YES);

        assertThat(commit(b)).isEqualTo(Completion.DONE);

        Versioned v = reads().read(key("committed-key"));
        assertThat(v).isNotNull();
        assertThat(v.value()).isEqualTo(utf8("committed"));
        assertThat(v.version()).isEqualTo(b.gtrid());
        assertThat(db.get("committed-key")).isEqualTo("committed");
        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
    }

    @Test
    void commitOfADeleteRemovesTheKey() {
        db.put("deleted-key", "present");
        BranchId b = branch("delete");
        assertThat(prepare(b, write(COORDINATOR, "deleted-key", null))).isEqualTo(Vote.YES);
        assertThat(commit(b)).isEqualTo(Completion.DONE);
        assertThat(db.get("deleted-key")).isNull();
    }

    @Test
    void duplicateCommitIsDone() {
        BranchId b = branch("dup-commit");
        prepare(b, write(COORDINATOR, "dup-commit", "once"));
        assertThat(commit(b)).isEqualTo(Completion.DONE);
        db.put("dup-commit", "later");

        assertThat(commit(b)).isEqualTo(Completion.DONE);

        assertThat(db.get("dup-commit")).as("the duplicate applied nothing again").isEqualTo("later");
    }

    @Test
    void secondPhaseOfAnUnknownBranchIsUnknownAndALatePrepareIsRefused() {
        BranchId b = branch("never-prepared");
        assertThat(commit(b)).isEqualTo(Completion.UNKNOWN);
        assertThat(rollback(b)).isEqualTo(Completion.UNKNOWN);
        // The rollback is remembered: a prepare overtaken by it (still on its way) must not lock anything.
        assertThatThrownBy(() -> prepare(b, write(COORDINATOR, "late-prepare", "v")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("prepare of a branch that already ROLLED_BACK");
        assertThat(local().prepared()).doesNotContain(b);
    }

    @Test
    void rollbackDiscardsTheWritesAndReleasesTheKey() {
        db.put("rolled-back-key", "before");
        BranchId b = branch("rollback");
        assertThat(prepare(b, write(COORDINATOR, "rolled-back-key", "after"))).isEqualTo(Vote.YES);

        assertThat(rollback(b)).isEqualTo(Completion.DONE);

        assertThat(committedValue("rolled-back-key")).as("readable at once, old value").isEqualTo("before");
        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(rollback(b)).as("duplicate rollback").isEqualTo(Completion.DONE);
    }

    @Test
    void prepareWithAStaleReadVersionIsAConflictAndLeavesNothing() {
        db.put("read-key", "v1");
        BranchId b = branch("stale");

        assertThatThrownBy(() -> prepare(b, readThenWrite(COORDINATOR, "read-key", Bytes.utf8("not-the-current-version"),
                "stale-write", "x")))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("Retry");

        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(committedValue("stale-write")).as("not locked, not written").isNull();
    }

    @Test
    void prepareWithTheCurrentReadVersionVotesYes() {
        db.put("fresh-read", "v1");
        Bytes current = reads().read(key("fresh-read")).version();
        BranchId b = branch("fresh");

        assertThat(prepare(b, readThenWrite(COORDINATOR, "fresh-read", current, "fresh-write", "y"))).isEqualTo(Vote.YES);
        assertThat(commit(b)).isEqualTo(Completion.DONE);
        assertThat(db.get("fresh-write")).isEqualTo("y");
    }

    @Test
    void aYoungerPrepareOfAKeyHeldByAnOlderBranchIsAConflict() {
        BranchId older = branch("holder");
        BranchId younger = branch("contender");
        assertThat(prepare(older, write(COORDINATOR, "contended", "first").withPriority(1))).isEqualTo(Vote.YES);

        assertThatThrownBy(() -> prepare(younger, write(COORDINATOR, "contended", "second").withPriority(2)))
                .isInstanceOf(ConflictException.class);

        assertThat(commit(older)).isEqualTo(Completion.DONE);
        assertThat(db.get("contended")).isEqualTo("first");
        assertThat(local().prepared()).doesNotContain(younger);
    }

    @Test
    void anOlderPrepareWaitsForAYoungerHolderInsteadOfDying() {
        BranchId younger = branch("young-holder");
        assertThat(prepare(younger, write(COORDINATOR, "wait-die", "young").withPriority(2))).isEqualTo(Vote.YES);

        // Wait-die: the older one waits (here: the participant's lock-wait-timeout, 300 ms, as the holder stays).
        assertThatThrownBy(() -> prepare(branch("old-waiter"), write(COORDINATOR, "wait-die", "old").withPriority(1)))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");

        BranchId older = branch("old-waiter-again");
        CompletableFuture<Vote> waiting = client().prepare(peer(), older, write(COORDINATOR, "wait-die", "old").withPriority(1));
        assertThat(commit(younger)).isEqualTo(Completion.DONE);
        assertThat(join(waiting)).as("it takes the key once the holder is done").isEqualTo(Vote.YES);
        assertThat(commit(older)).isEqualTo(Completion.DONE);
        assertThat(db.get("wait-die")).isEqualTo("old");
    }

    @Test
    void readOnlyPrepareVotesReadOnlyAndKeepsNothing() {
        db.put("only-read", "v");
        Bytes version = reads().read(key("only-read")).version();
        BranchId b = branch("read-only");

        assertThat(prepare(b, readOnly(COORDINATOR, "only-read", version))).isEqualTo(Vote.READ_ONLY);

        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(commit(b)).as("nothing to commit").isEqualTo(Completion.UNKNOWN);
    }

    @Test
    void recoverListsOnlyTheBranchesTheCallingNodeCoordinates() {
        String x = RECOVERING.get(0);
        String y = RECOVERING.get(1);
        BranchId x1 = branch("rec-x1");
        BranchId x2 = branch("rec-x2");
        BranchId y1 = branch("rec-y1");
        join(client(x).prepare(peer(), x1, write(x, "rec-x1", "1")));
        join(client(x).prepare(peer(), x2, write(x, "rec-x2", "2")));
        // Sent by x, but the branch names y as its coordinator: it is y's to recover.
        join(client(x).prepare(peer(), y1, write(y, "rec-y1", "3")));

        assertThat(client(x).recover(peer())).containsExactlyInAnyOrder(x1, x2);
        assertThat(client(y).recover(peer())).containsExactly(y1);
        assertThat(client(RECOVERING.get(2)).recover(peer())).isEmpty();

        join(client(x).commit(peer(), x1));
        join(client(x).rollback(peer(), x2));
        join(client(y).rollback(peer(), y1));
        assertThat(client(x).recover(peer())).as("decided branches are no longer in doubt").isEmpty();
        assertThat(client(y).recover(peer())).isEmpty();
    }

    @Test
    void secondPhaseContradictingTheOutcomeIsRefusedAsOutOfOrder() {
        BranchId rolledBack = branch("rolled-back");
        prepare(rolledBack, write(COORDINATOR, "out-of-order-1", "never"));
        rollback(rolledBack);

        assertThatThrownBy(() -> commit(rolledBack))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("commit of a branch that was rolled back");
        assertThat(db.get("out-of-order-1")).isNull();

        BranchId committed = branch("committed");
        prepare(committed, write(COORDINATOR, "out-of-order-2", "kept"));
        commit(committed);

        assertThatThrownBy(() -> rollback(committed))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("rollback of a branch that was committed");
        assertThat(db.get("out-of-order-2")).isEqualTo("kept");
    }

    /** The branch id of the Xid Narayana gave a resource (only formatId and gtrid matter to the outcome). */
    private static BranchId branchOf(Xid xid) {
        return new BranchId(xid.getFormatId(), Bytes.copyOf(xid.getGlobalTransactionId()), Bytes.copyOf(xid.getBranchQualifier()));
    }

    private Outcome outcome(BranchId b) {
        return join(client().outcome(peer(), b));
    }

    @Test
    void outcomeOfATransactionThisNodeDoesNotCoordinateIsUnknown() {
        assertThat(outcome(branch("foreign"))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void outcomeOfARunningTransactionIsInProgressThenCommittedWhileItCommits() throws Exception {
        RecordingXAResource other = new RecordingXAResource();
        AtomicReference<Outcome> duringPrepare = new AtomicReference<>();
        AtomicReference<Outcome> duringCommit = new AtomicReference<>();
        other.onPrepare = xid -> duringPrepare.set(outcome(branchOf(xid)));
        other.onCommit = xid -> duringCommit.set(outcome(branchOf(xid)));

        tm.begin();
        db.put("outcome-key", "v");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        Outcome whileRunning = outcome(branchOf(other.xid));
        tm.commit();

        assertThat(whileRunning).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(duringPrepare.get()).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(duringCommit.get()).as("decided: a participant still prepared must commit").isEqualTo(Outcome.COMMITTED);
        assertThat(db.get("outcome-key")).isEqualTo("v");
    }

    @Test
    void outcomeOfARolledBackTransactionIsRolledBack() throws Exception {
        RecordingXAResource other = new RecordingXAResource();
        tm.begin();
        db.put("outcome-rolled-back", "v");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        tm.rollback();

        assertThat(outcome(branchOf(other.xid))).isEqualTo(Outcome.ROLLED_BACK);
    }

    @Test
    void outcomeOfAMalformedBranchIsRefusedWith400() {
        PeerResponse r = transport().send(participant(), new PeerRequest(COORDINATOR, PeerProtocol.OUTCOME, new byte[] { 1, 2 }, NODE));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.bodyText()).contains("branch id cannot be decoded");
    }

    @Test
    void unknownOperationIsRefusedWith404() {
        PeerResponse r = transport().send(participant(), new PeerRequest(COORDINATOR, "frobnicate", new byte[0], NODE));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.bodyText()).contains("unknown operation").contains("frobnicate");
    }

    @Test
    void unreachableParticipantIsPeerUnavailable() {
        String nowhere = unreachable().toString();
        assertThatThrownBy(() -> join(client().hello(nowhere, false))).isInstanceOf(PeerUnavailableException.class);
        assertThatThrownBy(() -> join(client().prepare(nowhere, branch("unreachable"), write(COORDINATOR, "nowhere", "v"))))
                .isInstanceOf(PeerUnavailableException.class);
    }
}
