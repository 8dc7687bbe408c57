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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import javax.transaction.xa.Xid;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Versioned;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerProtocol;
import io.quarkiverse.level2pc.transport.PeerRequest;
import io.quarkiverse.level2pc.transport.PeerResponse;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkus.test.QuarkusUnitTest;

/**
 * What every {@link PeerTransport} must deliver when a coordinator talks to a participant node: the
 * participant's answers reach the coordinator's {@link PeerClient} as the same votes, completions and
 * exceptions whichever transport carries them. Each subclass runs these cases against one transport
 * and a running single-node application of its own (the participant), driven as if by a coordinator
 * node called {@value #COORDINATOR}.
 */
public abstract class PeerTransportContractTest {

    static final String NODE = "participant";
    static final String CLUSTER = "contract-cluster";
    static final String COORDINATOR = "coordinator-x";

    /** The participant application: a single node with a cluster secret and a short lock wait. */
    static QuarkusUnitTest participantApp(Class<? extends PeerTransportContractTest> testClass) {
        return new QuarkusUnitTest()
                .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, PeerTestSupport.class,
                        InMemoryPeerTransport.class, RecordingXAResource.class, PeerTransportContractTest.class, testClass))
                .overrideConfigKey("quarkus.http.test-port", "0")
                .overrideConfigKey("quarkus.level-2pc.node-name", NODE)
                .overrideConfigKey("quarkus.level-2pc.cluster-name", CLUSTER)
                .overrideConfigKey("quarkus.level-2pc.cluster-secret", PeerTestSupport.SECRET)
                .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "300ms")
                .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(testClass));
    }

    @Inject
    Level2pcNode node;
    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;

    /** The transport under test. */
    protected abstract PeerTransport transport();

    /** The participant's address for {@link #transport()}. */
    protected abstract URI participant();

    /** An address where {@link #transport()} reaches no node. */
    protected abstract URI unreachable();

    private PeerClient client() {
        return client(COORDINATOR);
    }

    private PeerClient client(String self) {
        return new PeerClient(transport(), self);
    }

    private LocalNode local() {
        LocalNode n = node.nodeIfOpen();
        assertThat(n).as("the participant's store is open").isNotNull();
        return n;
    }

    private String committedValue(String userKey) {
        Versioned v = local().read(key(userKey));
        return v == null ? null : new String(v.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Many callers at once, blocking and non-blocking: every call gets its own, complete answer (a
     * transport that reuses connections must never hand one call's answer, or an empty one, to another).
     */
    @Test
    void concurrentCallsEachGetTheirOwnCompleteAnswer() throws Exception {
        int threads = 16;
        int calls = 60;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        // Where a transport without non-blocking calls runs them (PeerTransport.sendAsync's default).
        java.util.concurrent.ExecutorService async = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    PeerClient c = client();
                    int ok = 0;
                    for (int i = 0; i < calls; i++) {
                        BranchId b = branch("concurrent-" + thread + "-" + i);
                        if (i % 3 == 0) {
                            assertThat(c.hello(participant()).node()).isEqualTo(NODE);
                        } else if (i % 3 == 1) {
                            assertThat(c.prepareAsync(participant(), b, write(COORDINATOR, "c-" + thread + "-" + i, "v"), async)
                                    .get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(LocalNode.Vote.YES);
                            assertThat(c.rollbackAsync(participant(), b, async).get(30, java.util.concurrent.TimeUnit.SECONDS))
                                    .isEqualTo(LocalNode.Completion.DONE);
                        } else {
                            assertThat(c.prepare(participant(), b, write(COORDINATOR, "c-" + thread + "-" + i, "v")))
                                    .isEqualTo(LocalNode.Vote.YES);
                            assertThat(c.commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
                        }
                        ok++;
                    }
                    return ok;
                }));
            }
            for (java.util.concurrent.Future<Integer> r : results) {
                assertThat(r.get(120, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(calls);
            }
        } finally {
            pool.shutdownNow();
            async.shutdownNow();
        }
        assertThat(committedValue("c-0-2")).isEqualTo("v");
        assertThat(committedValue("c-0-1")).as("rolled back").isNull();
        assertThat(local().prepared()).as("nothing left prepared").isEmpty();
    }

    @Test
    void helloNamesTheNodeItsClusterAndTheProtocol() {
        PeerClient.Hello hello = client().hello(participant());
        assertThat(hello).isEqualTo(new PeerClient.Hello(NODE, CLUSTER, PeerProtocol.VERSION, hello.clock(), true));
        assertThat(hello.clock()).as("the participant's clock reading").isPositive();
    }

    @Test
    void prepareOfWritesVotesYesOnlyAfterTheRecordIsDurableAndLocksTheKey() {
        BranchId b = branch("prepare");

        assertThat(client().prepare(participant(), b, write(COORDINATOR, "prepared-key", "new"))).isEqualTo(LocalNode.Vote.YES);

        assertThat(local().prepared()).contains(b);
        assertThat(preparedOnDisk(local().store())).as("prepare record in LevelDB").contains(b);
        // The new value may be acknowledged at any moment: no reader may see the old state meanwhile.
        assertThatThrownBy(() -> local().read(key("prepared-key")))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");

        assertThat(client().rollback(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
    }

    @Test
    void duplicatePrepareVotesYesAgain() {
        BranchId b = branch("dup-prepare");
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "dup-prepare", "v"))).isEqualTo(LocalNode.Vote.YES);
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "dup-prepare", "v"))).isEqualTo(LocalNode.Vote.YES);
        assertThat(local().prepared()).containsOnlyOnce(b);
        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(committedValue("dup-prepare")).isEqualTo("v");
    }

    @Test
    void commitAppliesTheWritesStampedWithTheGlobalTransactionId() {
        BranchId b = branch("commit");
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "committed-key", "committed"))).isEqualTo(LocalNode.Vote.YES);

        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);

        Versioned v = local().read(key("committed-key"));
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
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "deleted-key", null))).isEqualTo(LocalNode.Vote.YES);
        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(db.get("deleted-key")).isNull();
    }

    @Test
    void duplicateCommitIsDone() {
        BranchId b = branch("dup-commit");
        client().prepare(participant(), b, write(COORDINATOR, "dup-commit", "once"));
        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
        db.put("dup-commit", "later");

        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(db.get("dup-commit")).as("the duplicate applied nothing again").isEqualTo("later");
    }

    @Test
    void secondPhaseOfAnUnknownBranchIsUnknown() {
        assertThat(client().commit(participant(), branch("never-prepared"))).isEqualTo(LocalNode.Completion.UNKNOWN);
        assertThat(client().rollback(participant(), branch("never-prepared"))).isEqualTo(LocalNode.Completion.UNKNOWN);
    }

    @Test
    void rollbackDiscardsTheWritesAndReleasesTheKey() {
        db.put("rolled-back-key", "before");
        BranchId b = branch("rollback");
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "rolled-back-key", "after"))).isEqualTo(LocalNode.Vote.YES);

        assertThat(client().rollback(participant(), b)).isEqualTo(LocalNode.Completion.DONE);

        assertThat(committedValue("rolled-back-key")).as("readable at once, old value").isEqualTo("before");
        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(client().rollback(participant(), b)).as("duplicate rollback").isEqualTo(LocalNode.Completion.DONE);
    }

    @Test
    void prepareWithAStaleReadVersionIsAConflictAndLeavesNothing() {
        db.put("read-key", "v1");
        BranchId b = branch("stale");

        assertThatThrownBy(() -> client().prepare(participant(), b,
                readThenWrite(COORDINATOR, "read-key", Bytes.utf8("not-the-current-version"), "stale-write", "x")))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("Retry");

        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(committedValue("stale-write")).as("not locked, not written").isNull();
    }

    @Test
    void prepareWithTheCurrentReadVersionVotesYes() {
        db.put("fresh-read", "v1");
        Bytes current = local().read(key("fresh-read")).version();
        BranchId b = branch("fresh");

        assertThat(client().prepare(participant(), b, readThenWrite(COORDINATOR, "fresh-read", current, "fresh-write", "y")))
                .isEqualTo(LocalNode.Vote.YES);
        assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(db.get("fresh-write")).isEqualTo("y");
    }

    @Test
    void prepareOfAKeyHeldByAnotherPreparedBranchIsAConflict() {
        BranchId first = branch("holder");
        BranchId second = branch("contender");
        assertThat(client().prepare(participant(), first, write(COORDINATOR, "contended", "first"))).isEqualTo(LocalNode.Vote.YES);

        assertThatThrownBy(() -> client().prepare(participant(), second, write(COORDINATOR, "contended", "second")))
                .isInstanceOf(ConflictException.class);

        assertThat(client().commit(participant(), first)).isEqualTo(LocalNode.Completion.DONE);
        assertThat(db.get("contended")).isEqualTo("first");
        assertThat(local().prepared()).doesNotContain(second);
    }

    @Test
    void readOnlyPrepareVotesReadOnlyAndKeepsNothing() {
        db.put("only-read", "v");
        Bytes version = local().read(key("only-read")).version();
        BranchId b = branch("read-only");

        assertThat(client().prepare(participant(), b, readOnly(COORDINATOR, "only-read", version))).isEqualTo(LocalNode.Vote.READ_ONLY);

        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
        assertThat(client().commit(participant(), b)).as("nothing to commit").isEqualTo(LocalNode.Completion.UNKNOWN);
    }

    @Test
    void onePhaseCommitWithWorkApplies() {
        BranchId b = branch("one-phase");

        assertThat(client().commitOnePhase(participant(), b, write(COORDINATOR, "one-phase-key", "1pc")))
                .isEqualTo(LocalNode.Completion.DONE);

        Versioned v = local().read(key("one-phase-key"));
        assertThat(v.value()).isEqualTo(utf8("1pc"));
        assertThat(v.version()).isEqualTo(b.gtrid());
        assertThat(local().prepared()).doesNotContain(b);
        assertThat(preparedOnDisk(local().store())).doesNotContain(b);
    }

    @Test
    void onePhaseCommitWithAStaleReadIsAConflictAndAppliesNothing() {
        db.put("one-phase-read", "v1");
        BranchId b = branch("one-phase-stale");

        assertThatThrownBy(() -> client().commitOnePhase(participant(), b,
                readThenWrite(COORDINATOR, "one-phase-read", Bytes.EMPTY, "one-phase-stale", "x")))
                .isInstanceOf(ConflictException.class);

        assertThat(db.get("one-phase-stale")).isNull();
    }

    @Test
    void onePhaseCommitOfAPreparedBranchCommitsIt() {
        BranchId b = branch("prepared-then-1pc");
        assertThat(client().prepare(participant(), b, write(COORDINATOR, "prepared-then-1pc", "v"))).isEqualTo(LocalNode.Vote.YES);

        assertThat(client().commitOnePhase(participant(), b, write(COORDINATOR, "prepared-then-1pc", "v")))
                .isEqualTo(LocalNode.Completion.DONE);

        assertThat(db.get("prepared-then-1pc")).isEqualTo("v");
        assertThat(local().prepared()).doesNotContain(b);
    }

    @Test
    void recoverListsOnlyTheBranchesTheCallingNodeCoordinates() {
        String x = "coordinator-rec-x";
        String y = "coordinator-rec-y";
        BranchId x1 = branch("rec-x1");
        BranchId x2 = branch("rec-x2");
        BranchId y1 = branch("rec-y1");
        client(x).prepare(participant(), x1, write(x, "rec-x1", "1"));
        client(x).prepare(participant(), x2, write(x, "rec-x2", "2"));
        // Sent by x, but the branch names y as its coordinator: it is y's to recover.
        client(x).prepare(participant(), y1, write(y, "rec-y1", "3"));

        assertThat(client(x).recover(participant())).containsExactlyInAnyOrder(x1, x2);
        assertThat(client(y).recover(participant())).containsExactly(y1);
        assertThat(client("coordinator-rec-z").recover(participant())).isEmpty();

        client(x).commit(participant(), x1);
        client(x).rollback(participant(), x2);
        client(y).rollback(participant(), y1);
        assertThat(client(x).recover(participant())).as("decided branches are no longer in doubt").isEmpty();
        assertThat(client(y).recover(participant())).isEmpty();
    }

    @Test
    void secondPhaseContradictingTheOutcomeIsRefusedAsOutOfOrder() {
        BranchId rolledBack = branch("rolled-back");
        client().prepare(participant(), rolledBack, write(COORDINATOR, "out-of-order-1", "never"));
        client().rollback(participant(), rolledBack);

        assertThatThrownBy(() -> client().commit(participant(), rolledBack))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("commit of a branch that was rolled back");
        assertThat(db.get("out-of-order-1")).isNull();

        BranchId committed = branch("committed");
        client().prepare(participant(), committed, write(COORDINATOR, "out-of-order-2", "kept"));
        client().commit(participant(), committed);

        assertThatThrownBy(() -> client().rollback(participant(), committed))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("rollback of a branch that was committed");
        assertThat(db.get("out-of-order-2")).isEqualTo("kept");
    }

    /** The branch id of the Xid Narayana gave a resource (only formatId and gtrid matter to the outcome). */
    private static BranchId branchOf(Xid xid) {
        return new BranchId(xid.getFormatId(), Bytes.copyOf(xid.getGlobalTransactionId()), Bytes.copyOf(xid.getBranchQualifier()));
    }

    @Test
    void outcomeOfATransactionThisNodeDoesNotCoordinateIsNotCoordinator() {
        assertThat(client().outcome(participant(), branch("foreign"))).isEqualTo("NOT_COORDINATOR");
    }

    @Test
    void outcomeOfARunningTransactionIsInProgressThenCommittedWhileItCommits() throws Exception {
        RecordingXAResource other = new RecordingXAResource();
        AtomicReference<String> duringPrepare = new AtomicReference<>();
        AtomicReference<String> duringCommit = new AtomicReference<>();
        other.onPrepare = xid -> duringPrepare.set(client().outcome(participant(), branchOf(xid)));
        other.onCommit = xid -> duringCommit.set(client().outcome(participant(), branchOf(xid)));

        tm.begin();
        db.put("outcome-key", "v");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        String whileRunning = client().outcome(participant(), branchOf(other.xid));
        tm.commit();

        assertThat(whileRunning).isEqualTo("IN_PROGRESS");
        assertThat(duringPrepare.get()).isEqualTo("IN_PROGRESS");
        assertThat(duringCommit.get()).as("decided: a participant still prepared must commit").isEqualTo("COMMITTED");
        assertThat(db.get("outcome-key")).isEqualTo("v");
    }

    @Test
    void outcomeOfARolledBackTransactionIsRolledBack() throws Exception {
        RecordingXAResource other = new RecordingXAResource();
        tm.begin();
        db.put("outcome-rolled-back", "v");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        tm.rollback();

        assertThat(client().outcome(participant(), branchOf(other.xid))).isEqualTo("ROLLED_BACK");
    }

    @Test
    void outcomeOfAMalformedBranchIsRefusedWith400() {
        PeerResponse r = transport().send(participant(), new PeerRequest(COORDINATOR, PeerProtocol.OUTCOME, new byte[] { 1, 2 }));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.bodyText()).contains("branch id cannot be decoded");
    }

    @Test
    void unknownOperationIsRefusedWith404() {
        PeerResponse r = transport().send(participant(), new PeerRequest(COORDINATOR, "frobnicate", new byte[0]));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.bodyText()).contains("unknown operation").contains("frobnicate");
    }

    @Test
    void unreachableParticipantIsPeerUnavailable() {
        assertThatThrownBy(() -> client().hello(unreachable())).isInstanceOf(PeerUnavailableException.class);
        assertThatThrownBy(() -> client().prepare(unreachable(), branch("unreachable"), write(COORDINATOR, "nowhere", "v")))
                .isInstanceOf(PeerUnavailableException.class);
    }

    @Test
    void concurrentCallsOnDisjointKeysAllCommit() throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String k = "concurrent-" + i;
                results.add(pool.submit(() -> {
                    BranchId b = branch(k);
                    assertThat(client().prepare(participant(), b, write(COORDINATOR, k, k))).isEqualTo(LocalNode.Vote.YES);
                    assertThat(client().commit(participant(), b)).isEqualTo(LocalNode.Completion.DONE);
                }));
            }
            assertThat(TestSupport.outcomes(results)).isEmpty();
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < n; i++) {
            assertThat(db.get("concurrent-" + i)).isEqualTo("concurrent-" + i);
        }
    }
}
