package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
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
 * A read of a key held by a prepared branch never returns the old value: it waits for the outcome and
 * fails with {@link LockWaitTimeoutException} after {@code lock-wait-timeout}; once the branch commits
 * the new value is read. Other keys are not affected.
 */
public class ReadOfKeyHeldByPreparedBranchWaitsTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "500ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ReadOfKeyHeldByPreparedBranchWaitsTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;

    @Test
    void readsWaitForThePreparedBranch() throws Exception {
        db.put("held", "old");
        db.put("free", "free");
        LocalNode local = node.nodeIfOpen().local();
        BranchId branch = new BranchId(4711, Bytes.utf8("some-coordinator-tx"), Bytes.utf8("b"));
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), "held".getBytes(StandardCharsets.UTF_8)),
                "new".getBytes(StandardCharsets.UTF_8));
        assertThat(local.prepare(branch, new TxWork(writes, Map.of(), "")).join()).isEqualTo(Vote.YES);

        assertThatThrownBy(() -> db.get("held"))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");
        assertThat(db.get("free")).isEqualTo("free");

        assertThat(local.commit(branch).join()).isEqualTo(Completion.DONE);
        assertThat(CompletableFuture.supplyAsync(() -> db.get("held")).get(10, TimeUnit.SECONDS)).isEqualTo("new");
        assertThat(local.prepared()).isEmpty();
    }
}
