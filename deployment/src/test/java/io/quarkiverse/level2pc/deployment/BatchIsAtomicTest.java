package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import jakarta.inject.Inject;
import jakarta.transaction.UserTransaction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
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
 * {@code batch} applies all of its operations or none: a batch that cannot take one of its keys (held
 * by a prepared branch) applies none of them, a batch whose builder throws applies nothing, and inside a
 * transaction the batch commits or rolls back with it. Later operations on a key replace earlier ones.
 */
public class BatchIsAtomicTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.lock-wait-timeout", "1s")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(BatchIsAtomicTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    UserTransaction ut;
    @Inject
    Level2pcNode node;

    @Test
    void standaloneBatchAppliesEverything() {
        db.put("all:gone", "x");
        db.batch(b -> b.put("all:1", "one").put("all:2", "two").delete("all:gone").put("all:3", "first").put("all:3", "last")
                .put("all:4", "x").delete("all:4"));
        assertThat(db.get("all:1")).isEqualTo("one");
        assertThat(db.get("all:2")).isEqualTo("two");
        assertThat(db.get("all:gone")).isNull();
        assertThat(db.get("all:3")).isEqualTo("last");
        assertThat(db.get("all:4")).isNull();
    }

    @Test
    void aBuilderThatThrowsAppliesNothing() {
        IllegalStateException boom = new IllegalStateException("boom");
        Throwable thrown = catchThrowable(() -> db.batch(b -> {
            b.put("thr:1", "one");
            throw boom;
        }));
        assertThat(thrown).isSameAs(boom);
        assertThat(db.get("thr:1")).isNull();
    }

    @Test
    void aBatchThatCannotLockOneKeyAppliesNone() {
        LocalNode local = node.nodeIfOpen().local();
        // a branch of some other coordinator (not Narayana's format, so recovery leaves it alone) is
        // prepared here and holds "lk:held"
        BranchId foreign = new BranchId(4711, Bytes.utf8("foreign-gtrid"), Bytes.utf8("b1"));
        TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        writes.put(internal("lk:held"), "theirs".getBytes(StandardCharsets.UTF_8));
        assertThat(local.prepare(foreign, new TxWork(writes, Map.of(), "")).join()).isEqualTo(Vote.YES);
        try {
            Throwable thrown = catchThrowable(() -> db.batch(b -> b.put("lk:free1", "a").put("lk:held", "ours").put("lk:free2", "b")));

            assertThat(thrown).as("a batch blocked by a prepared branch must fail once lock-wait-timeout is over")
                    .isInstanceOfAny(LockWaitTimeoutException.class, ConflictException.class);
            assertThat(((Level2pcException) thrown).isRetryable()).isTrue();
            assertThat(thrown.getMessage()).contains("lk:held");
        } finally {
            assertThat(local.rollback(foreign).join()).isEqualTo(Completion.DONE);
        }
        assertThat(db.get("lk:free1")).isNull();
        assertThat(db.get("lk:free2")).isNull();
        assertThat(db.get("lk:held")).isNull();
        assertThat(local.prepared()).isEmpty();
    }

    @Test
    void insideATransactionTheBatchFollowsIt() throws Exception {
        ut.begin();
        db.batch(b -> b.put("tx:1", "one").put("tx:2", "two"));
        assertThat(db.get("tx:1")).isEqualTo("one");
        ut.rollback();
        assertThat(db.get("tx:1")).isNull();
        assertThat(db.get("tx:2")).isNull();

        ut.begin();
        db.batch(b -> b.put("tx:1", "one").put("tx:2", "two"));
        db.put("tx:3", "three");
        ut.commit();
        assertThat(db.get("tx:1")).isEqualTo("one");
        assertThat(db.get("tx:2")).isEqualTo("two");
        assertThat(db.get("tx:3")).isEqualTo("three");
    }

    static Bytes internal(String userKey) {
        return KeySpace.dataKey(KeySpace.dbPrefix(KeySpace.DEFAULT_DB), userKey.getBytes(StandardCharsets.UTF_8));
    }
}
