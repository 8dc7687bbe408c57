package io.quarkiverse.level2pc.deployment;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ClusterReady;
import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkus.test.QuarkusUnitTest;

/**
 * A restart with branches left prepared by the previous run (as after a crash between prepare and
 * commit, before Narayana wrote its log): the store is written before the application starts, with a
 * committed value and two prepare records, one under a Narayana Xid of this node and one under another
 * node's name. At startup both are restored with their locks and reported by {@link ClusterReady}; the
 * periodic recovery rolls back this node's orphan (presumed abort) and leaves the other node's branch in
 * doubt, whose key stays locked.
 */
public class InDoubtBranchFromBeforeRestartIsResolvedTest {

    private static final String NODE = "restart-node";
    private static final Map<String, String> FAST_RECOVERY = Map.of(
            "RecoveryEnvironmentBean.periodicRecoveryPeriod", "1",
            "RecoveryEnvironmentBean.recoveryBackoffPeriod", "1",
            "JTAEnvironmentBean.orphanSafetyInterval", "500");

    static {
        FAST_RECOVERY.forEach(System::setProperty);
    }

    static final String DIR = TestSupport.freshDataDir(InDoubtBranchFromBeforeRestartIsResolvedTest.class);
    static final BranchId OURS = narayanaStyleBranch(NODE, 1);
    static final BranchId OTHER_NODES = narayanaStyleBranch("other-node", 2);

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, ReadyObserver.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .setBeforeAllCustomizer(InDoubtBranchFromBeforeRestartIsResolvedTest::writeStoreOfThePreviousRun)
            .setAfterAllCustomizer(() -> FAST_RECOVERY.keySet().forEach(System::clearProperty))
            .overrideConfigKey("quarkus.level-2pc.node-name", NODE)
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "300ms")
            .overrideConfigKey("quarkus.level-2pc.path", DIR);

    @Singleton
    public static class ReadyObserver {
        static final List<ClusterReady> EVENTS = new CopyOnWriteArrayList<>();

        void onReady(@Observes ClusterReady event) {
            EVENTS.add(event);
        }
    }

    /**
     * A branch id shaped like Narayana's: formatId 131077, gtrid = 28-byte Uid + node name, bqual =
     * 28-byte branch Uid + 8 bytes. No transaction log exists for it. Deterministic: this class is
     * initialised twice (by JUnit, which writes the store, and by the application's class loader, which
     * runs the test), and both must compute the same ids.
     */
    static BranchId narayanaStyleBranch(String nodeName, int n) {
        byte[] name = nodeName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer gtrid = ByteBuffer.allocate(28 + name.length);
        gtrid.putLong(0).putLong(0x0000ffff7f000001L).putInt(4242).putInt(0x6b07cbad).putInt(n)
                .put(name);
        ByteBuffer bqual = ByteBuffer.allocate(36);
        bqual.putLong(0).putLong(0x0000ffff7f000001L).putInt(4242).putInt(0x6b07cbad).putInt(100 + n).putLong(0);
        return new BranchId(131077, Bytes.wrap(gtrid.array()), Bytes.wrap(bqual.array()));
    }

    static void writeStoreOfThePreviousRun() {
        try (NodeStore store = new NodeStore(LevelStore.open(Path.of(DIR, "leveldb"), true, 100))) {
            store.claimNodeName(NODE);
            BranchId earlier = new BranchId(4711, Bytes.utf8("an-earlier-tx"), Bytes.utf8("b"));
            TreeMap<Bytes, byte[]> values = new TreeMap<>();
            values.put(key("ours"), utf8("old"));
            values.put(key("theirs"), utf8("old"));
            store.commit(earlier, new TxWork(values, Map.of(), ""), false, null).join();
            store.persistPrepare(OURS, work("ours", "new")).join();
            store.persistPrepare(OTHER_NODES, work("theirs", "new")).join();
        }
    }

    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;

    @Test
    void ourOrphanIsRolledBackTheOtherNodesBranchStaysInDoubt() {
        assertThat(ReadyObserver.EVENTS).containsExactly(new ClusterReady(NODE, 2));
        LocalNode local = node.nodeIfOpen().local();
        // same ids on both sides of the class-loader boundary (else the wait below would pass vacuously)
        assertThat(local.prepared()).contains(OTHER_NODES);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !local.prepared().contains(OURS));

        assertThat(db.get("ours")).isEqualTo("old");
        assertThat(local.prepared()).containsExactly(OTHER_NODES);
        // the restored lock of the other node's branch still protects its key from stale reads
        assertThatThrownBy(() -> db.get("theirs")).isInstanceOf(LockWaitTimeoutException.class);
        // and readiness reports it
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'level-2pc' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'level-2pc' }.data.'in-doubt'", equalTo(1));

        assertThat(local.rollback(OTHER_NODES).join()).isEqualTo(Completion.DONE);
        assertThat(db.get("theirs")).isEqualTo("old");
        assertThat(local.prepared()).isEmpty();
    }

    private static TxWork work(String key, String value) {
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(key(key), utf8(value));
        return new TxWork(writes, Map.of(), "");
    }

    private static Bytes key(String userKey) {
        return KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), utf8(userKey));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
