package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import javax.transaction.xa.Xid;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.arjuna.ats.arjuna.common.recoveryPropertyManager;
import com.arjuna.ats.jta.common.jtaPropertyManager;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Presumed abort through Narayana's real recovery manager. A branch is prepared on our node under a
 * genuine Narayana Xid of this node (learned from a transaction that was then rolled back, so Narayana
 * has no log for it): the periodic recovery finds it through our recovery resource, sees an orphan
 * carrying its own node name and rolls it back; the key is unlocked and unchanged. A branch under
 * another node's name is left alone (it is that coordinator's to decide).
 *
 * <p>
 * Recovery is sped up through Narayana system properties set before the application starts (Quarkus
 * merges {@code System.getProperties()} into Narayana's configuration); the test checks they took
 * effect, and removes them afterwards so that later test classes in this JVM keep the defaults.
 */
public class OrphanedPreparedBranchIsRolledBackByRecoveryTest {

    private static final Map<String, String> FAST_RECOVERY = Map.of(
            "RecoveryEnvironmentBean.periodicRecoveryPeriod", "1",
            "RecoveryEnvironmentBean.recoveryBackoffPeriod", "1",
            "JTAEnvironmentBean.orphanSafetyInterval", "500");

    static {
        FAST_RECOVERY.forEach(System::setProperty);
    }

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, RecordingXAResource.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "orphan-node")
            .overrideConfigKey("quarkus.transaction-manager.enable-recovery", "true")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(OrphanedPreparedBranchIsRolledBackByRecoveryTest.class))
            .setAfterAllCustomizer(() -> FAST_RECOVERY.keySet().forEach(System::clearProperty));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    Level2pcNode node;

    @Test
    void recoveryRollsBackAnOrphanOfThisNodeOnly() throws Exception {
        assertThat(recoveryPropertyManager.getRecoveryEnvironmentBean().getPeriodicRecoveryPeriod()).isEqualTo(1);
        assertThat(recoveryPropertyManager.getRecoveryEnvironmentBean().getRecoveryBackoffPeriod()).isEqualTo(1);
        assertThat(jtaPropertyManager.getJTAEnvironmentBean().getOrphanSafetyInterval()).isEqualTo(500);
        assertThat(jtaPropertyManager.getJTAEnvironmentBean().getXaRecoveryNodes()).containsExactly("orphan-node");

        db.put("orphan", "old");
        db.put("foreign", "old");

        // learn what a real Xid of this node looks like; the transaction is rolled back before any
        // prepare, so Narayana keeps no log of it
        RecordingXAResource capture = new RecordingXAResource();
        tm.begin();
        assertThat(tm.getTransaction().enlistResource(capture)).isTrue();
        tm.rollback();
        Xid xid = capture.xid;
        byte[] gtrid = xid.getGlobalTransactionId();
        byte[] nodeName = "orphan-node".getBytes(StandardCharsets.UTF_8);
        assertThat(xid.getFormatId()).isEqualTo(131077);
        assertThat(Arrays.copyOfRange(gtrid, gtrid.length - nodeName.length, gtrid.length)).isEqualTo(nodeName);
        assertThat(gtrid.length).isEqualTo(28 + nodeName.length);

        LocalNode local = node.nodeIfOpen().local();
        BranchId orphan = new BranchId(xid.getFormatId(), Bytes.copyOf(gtrid), Bytes.copyOf(xid.getBranchQualifier()));
        // the same transaction id but coordinated by another node: not ours to roll back
        byte[] foreignGtrid = Arrays.copyOf(Arrays.copyOf(gtrid, 28), 28 + "other-node".length());
        System.arraycopy("other-node".getBytes(StandardCharsets.UTF_8), 0, foreignGtrid, 28, "other-node".length());
        BranchId foreign = new BranchId(xid.getFormatId(), Bytes.copyOf(foreignGtrid), Bytes.copyOf(xid.getBranchQualifier()));

        assertThat(local.prepare(orphan, work("orphan", "new")).join()).isEqualTo(Vote.YES);
        assertThat(local.prepare(foreign, work("foreign", "new")).join()).isEqualTo(Vote.YES);
        assertThat(local.prepared()).containsExactlyInAnyOrder(orphan, foreign);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !local.prepared().contains(orphan));

        assertThat(db.get("orphan")).isEqualTo("old");
        db.put("orphan", "after"); // unlocked: a blind write goes through at once
        assertThat(db.get("orphan")).isEqualTo("after");
        // the other node's branch is still in doubt here
        assertThat(local.prepared()).containsExactly(foreign);

        assertThat(local.rollback(foreign).join()).isEqualTo(Completion.DONE);
        assertThat(local.prepared()).isEmpty();
        assertThat(db.get("foreign")).isEqualTo("old");
    }

    private static TxWork work(String key, String value) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), key.getBytes(StandardCharsets.UTF_8)),
                value.getBytes(StandardCharsets.UTF_8));
        return new TxWork(writes, Map.of(), "");
    }
}
