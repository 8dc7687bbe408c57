package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.node.LocalNode;
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
        BranchId branch = TestSupport.prepareForeignWrite(local, "some-coordinator-tx", "held", "new");

        assertThatThrownBy(() -> db.get("held"))
                .isInstanceOf(LockWaitTimeoutException.class)
                .hasMessageContaining("quarkus.level-2pc.lock-wait-timeout");
        assertThat(db.get("free")).isEqualTo("free");

        assertThat(local.commit(branch).join()).isEqualTo(Completion.DONE);
        assertThat(CompletableFuture.supplyAsync(() -> db.get("held")).get(10, TimeUnit.SECONDS)).isEqualTo("new");
        assertThat(local.prepared()).isEmpty();
    }
}
