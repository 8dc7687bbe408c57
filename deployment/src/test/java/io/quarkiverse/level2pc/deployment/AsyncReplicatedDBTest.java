package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.LockWaitTimeoutException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.node.Completion;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Vote;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkus.test.QuarkusUnitTest;
import io.vertx.core.Vertx;

/**
 * {@code ReplicatedDB.async()}: the same standalone writes and reads as the blocking methods, callable
 * from an event loop (where the blocking methods refuse at once and name it); its stages fail with the
 * extension's exceptions themselves (not wrapped); bad arguments throw at the call; inside a JTA
 * transaction it refuses to run.
 */
public class AsyncReplicatedDBTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, InTransaction.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "500ms")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(AsyncReplicatedDBTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;
    @Inject
    Vertx vertx;
    @Inject
    InTransaction inTransaction;

    @jakarta.enterprise.context.ApplicationScoped
    static class InTransaction {
        @Inject
        ReplicatedDB db;

        @Transactional
        void tryAsync() {
            db.async().put("in-tx", "x");
        }
    }

    @Test
    void writesAndReadsLikeTheBlockingMethods() throws Exception {
        await(db.async().put("a", "1"));
        await(db.async().put("b".getBytes(StandardCharsets.UTF_8), new byte[] { 7 }));
        assertThat(db.get("a")).as("a blocking read sees the async write").isEqualTo("1");
        assertThat(await(db.async().get("a"))).isEqualTo("1");
        assertThat(await(db.async().get("b".getBytes(StandardCharsets.UTF_8)))).containsExactly(7);
        assertThat(await(db.async().get("missing"))).isNull();

        await(db.async().batch(b -> b.put("c", "3").delete("a")));
        assertThat(db.get("a")).isNull();
        assertThat(db.get("c")).isEqualTo("3");
        await(db.async().delete("c"));
        assertThat(await(db.async().get("c"))).isNull();
        await(db.async().batch(b -> {
        })); // nothing to write: completes
    }

    @Test
    void runsOnAnEventLoop() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            assertThat(io.vertx.core.Context.isOnEventLoopThread()).isTrue();
            db.async().put("loop", "from the event loop")
                    .thenCompose(x -> db.async().get("loop"))
                    .whenComplete((value, e) -> {
                        if (e != null) {
                            seen.completeExceptionally(e);
                        } else {
                            seen.complete(value);
                        }
                    });
        });
        assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("from the event loop");
    }

    @Test
    void theBlockingMethodsRefuseToRunOnAnEventLoopAndNameTheAlternative() throws Exception {
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            try {
                db.put("blocked", "x");
                refused.complete(null);
            } catch (RuntimeException e) {
                refused.complete(e);
            }
        });
        assertThat(refused.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("event loop").hasMessageContaining("db.async()");
        assertThat(db.get("blocked")).as("nothing was written").isNull();
    }

    @Test
    void stagesFailWithTheExtensionsExceptionsUnwrapped() throws Exception {
        LocalNode local = node.nodeIfOpen().local();
        BranchId branch = new BranchId(4711, Bytes.utf8("async-test-tx"), Bytes.utf8("b"));
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), "held".getBytes(StandardCharsets.UTF_8)),
                "new".getBytes(StandardCharsets.UTF_8));
        assertThat(local.prepare(branch, new TxWork(writes, Map.of(), "")).join()).isEqualTo(Vote.YES);
        try {
            CompletableFuture<String> read = db.async().get("held").toCompletableFuture();
            assertThatThrownBy(() -> read.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(LockWaitTimeoutException.class).hasMessageContaining("lock-wait-timeout");
        } finally {
            assertThat(local.commit(branch).join()).isEqualTo(Completion.DONE);
        }
        assertThat(await(db.async().get("held"))).isEqualTo("new");
    }

    @Test
    void badArgumentsThrowAtTheCallAndATransactionIsRefused() {
        assertThatThrownBy(() -> db.async().put("", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key must not be empty");
        assertThatThrownBy(() -> db.async().put("k", (String) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value is null");
        assertThatThrownBy(inTransaction::tryAsync).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("blocking methods");
        assertThat(db.get("in-tx")).isNull();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
