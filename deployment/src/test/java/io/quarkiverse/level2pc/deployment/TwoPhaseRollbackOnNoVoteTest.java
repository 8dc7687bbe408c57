package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.transaction.xa.XAException;

import jakarta.inject.Inject;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * The second resource votes NO (XA_RBROLLBACK from prepare) after our branch prepared: Narayana rolls our
 * prepared branch back, the commit fails with RollbackException (not a conflict of ours), nothing is
 * visible, the key is free again and no prepared branch is left behind.
 */
public class TwoPhaseRollbackOnNoVoteTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, RecordingXAResource.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TwoPhaseRollbackOnNoVoteTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;

    @Test
    void ourPreparedBranchIsRolledBack() throws Exception {
        db.put("k", "old");
        RecordingXAResource other = new RecordingXAResource();
        other.prepareError = XAException.XA_RBROLLBACK;
        List<BranchId> preparedDuringOtherPrepare = new CopyOnWriteArrayList<>();
        other.onPrepare = xid -> preparedDuringOtherPrepare.addAll(node.nodeIfOpen().local().prepared());

        tm.begin();
        db.put("k", "new");
        db.put("k2", "new");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        assertThatThrownBy(tm::commit)
                .isInstanceOf(RollbackException.class)
                .satisfies(e -> assertThat(ConflictException.find(e)).isNull());

        // our branch really was prepared (so it was the prepared branch that got rolled back) ...
        assertThat(preparedDuringOtherPrepare).hasSize(1);
        assertThat(preparedDuringOtherPrepare.get(0).gtrid().toArray()).isEqualTo(other.xid.getGlobalTransactionId());
        // ... the resource that voted no is not called again ...
        assertThat(other.calls).containsExactly("start", "end", "prepare");
        // ... and nothing of the transaction is left
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
        assertThat(db.get("k")).isEqualTo("old");
        assertThat(db.get("k2")).isNull();
        // the keys are not locked any more: a new transaction writes them at once
        db.put("k", "after");
        assertThat(db.get("k")).isEqualTo("after");
    }

    /**
     * Our branch votes NO (a key it read changed before commit): the other resource, not prepared yet,
     * is rolled back, nothing is visible, and the conflict is found in the RollbackException.
     */
    @Test
    void ourNoVoteRollsBackTheOtherResource() throws Exception {
        db.put("read", "v1");
        RecordingXAResource other = new RecordingXAResource();

        tm.begin();
        assertThat(db.get("read")).isEqualTo("v1");
        db.put("written", "x");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        Transaction tx = tm.suspend();
        db.put("read", "v2"); // a concurrent change, committed before our transaction commits
        tm.resume(tx);

        assertThatThrownBy(tm::commit)
                .isInstanceOf(RollbackException.class)
                .satisfies(e -> assertThat(ConflictException.find(e)).as(TestSupport.describeChain(e)).isNotNull());
        assertThat(other.calls).containsExactly("start", "end", "rollback");
        assertThat(db.get("written")).isNull();
        assertThat(db.get("read")).isEqualTo("v2");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
