package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.transaction.xa.XAResource;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.arjuna.ats.arjuna.common.arjPropertyManager;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A write of ours and a second XA resource (voting OK) in one JTA transaction: Narayana runs full
 * two-phase commit. While the second resource is being prepared, our branch of the same global
 * transaction is already prepared (durably, holding its lock); both then get {@code commit(xid, false)}
 * and the value is visible.
 */
public class TwoPhaseCommitWithSecondResourceTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, RecordingXAResource.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(TwoPhaseCommitWithSecondResourceTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;

    @Test
    void bothResourcesArePreparedThenCommitted() throws Exception {
        db.put("k", "old");
        RecordingXAResource other = new RecordingXAResource();
        List<BranchId> preparedDuringOtherPrepare = new CopyOnWriteArrayList<>();
        List<BranchId> preparedDuringOtherCommit = new CopyOnWriteArrayList<>();
        other.onPrepare = xid -> preparedDuringOtherPrepare.addAll(node.nodeIfOpen().local().prepared());
        other.onCommit = xid -> preparedDuringOtherCommit.addAll(node.nodeIfOpen().local().prepared());

        tm.begin();
        db.put("k", "new");
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        tm.commit();

        assertThat(other.calls).containsExactly("start", "end", "prepare", "commit(onePhase=false)");
        // our branch of the same global transaction was prepared before the other resource voted
        assertThat(preparedDuringOtherPrepare).hasSize(1);
        BranchId ours = preparedDuringOtherPrepare.get(0);
        assertThat(ours.formatId()).isEqualTo(other.xid.getFormatId());
        assertThat(ours.gtrid().toArray()).isEqualTo(other.xid.getGlobalTransactionId());
        assertThat(Arrays.equals(ours.bqual().toArray(), other.xid.getBranchQualifier())).isFalse();
        assertThat(db.get("k")).isEqualTo("new");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
        // Narayana's log lives beside the node's data by default (the extension's default for
        // quarkus.transaction-manager.object-store.directory); a 2PC transaction created it
        Path log = Path.of(node.config().path(), "narayana");
        assertThat(Path.of(arjPropertyManager.getObjectStoreEnvironmentBean().getObjectStoreDir()).toAbsolutePath().normalize())
                .isEqualTo(log.toAbsolutePath().normalize());
        assertThat(log).isDirectory();
    }

    /**
     * The other resource is enlisted first and votes read-only: our branch, the last one, then gets a
     * one-phase commit without prepare (Narayana's dynamic 1PC) and must accept it.
     */
    @Test
    void ourBranchLastAfterAReadOnlyVoteCommitsInOnePhase() throws Exception {
        RecordingXAResource other = new RecordingXAResource();
        other.prepareVote = XAResource.XA_RDONLY;
        List<BranchId> preparedDuringOtherPrepare = new CopyOnWriteArrayList<>();
        other.onPrepare = xid -> preparedDuringOtherPrepare.addAll(node.nodeIfOpen().local().prepared());

        tm.begin();
        assertThat(tm.getTransaction().enlistResource(other)).isTrue();
        db.put("last", "one-phase");
        tm.commit();

        assertThat(other.calls).containsExactly("start", "end", "prepare");
        assertThat(preparedDuringOtherPrepare).isEmpty(); // ours not prepared before the other's vote
        assertThat(db.get("last")).isEqualTo("one-phase");
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }
}
