package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Inside a {@code @Transactional} method reads see the transaction's own writes and deletes (String,
 * bytes and JSON), other threads see none of it until commit, and repeated reads of a key agree.
 */
public class ReadYourOwnWritesTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, Service.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ReadYourOwnWritesTest.class));

    @ApplicationScoped
    public static class Service {
        @Inject
        ReplicatedDB db;

        /** Writes and reads back; returns what it saw, in order. */
        @Transactional
        public List<String> writeAndReadBack() throws Exception {
            List<String> seen = new ArrayList<>();
            seen.add(db.get("a")); // committed value
            db.put("a", "a-new");
            seen.add(db.get("a"));
            db.put("a", "a-newer");
            seen.add(db.get("a"));
            db.put("b", "b-new");
            db.delete("b");
            seen.add(db.get("b"));
            db.delete("c"); // committed before
            seen.add(db.get("c"));
            db.put("json", (Object) List.of(1, 2, 3));
            seen.add(String.valueOf(db.get("json", List.class)));
            db.put(new byte[] { 9 }, new byte[] { 1, 2 });
            seen.add(String.valueOf(db.get(new byte[] { 9 }).length));
            // another thread, outside the transaction, sees only committed data
            seen.add(CompletableFuture.supplyAsync(() -> db.get("a") + "|" + db.get("c") + "|" + db.get("json"))
                    .get(10, TimeUnit.SECONDS));
            return seen;
        }

        /** Reads r twice with a commit by another thread in between, recording both reads. */
        @Transactional
        public void repeatableRead(List<String> reads) throws Exception {
            reads.add(db.get("r"));
            CompletableFuture.runAsync(() -> db.put("r", "changed-outside")).get(10, TimeUnit.SECONDS);
            reads.add(db.get("r"));
        }
    }

    @Inject
    Service service;
    @Inject
    ReplicatedDB db;
    @Inject
    Level2pcNode node;

    @Test
    void readsSeeOwnWrites() throws Exception {
        db.put("a", "a-old");
        db.put("c", "c-old");

        List<String> seen = service.writeAndReadBack();

        assertThat(seen).containsExactly("a-old", "a-new", "a-newer", null, null, "[1, 2, 3]", "2", "a-old|c-old|null");
        // committed afterwards
        assertThat(db.get("a")).isEqualTo("a-newer");
        assertThat(db.get("b")).isNull();
        assertThat(db.get("c")).isNull();
        assertThat(db.get("json", List.class)).containsExactly(1, 2, 3);
        assertThat(db.get(new byte[] { 9 })).containsExactly(1, 2);
        assertThat(node.nodeIfOpen().local().prepared()).isEmpty();
    }

    /**
     * The second read returns what the first one saw; and since what it read changed before it
     * committed, the (read-only) transaction fails validation with a conflict.
     */
    @Test
    void repeatedReadsAgreeAndAStaleReadIsRejectedAtCommit() {
        db.put("r", "before");
        List<String> reads = new CopyOnWriteArrayList<>();

        Throwable failure = catchThrowable(() -> service.repeatableRead(reads));

        assertThat(reads).containsExactly("before", "before");
        assertThat(failure).as("commit of a transaction whose read went stale").isNotNull();
        assertThat(ConflictException.find(failure)).as(TestSupport.describeChain(failure)).isNotNull();
        assertThat(db.get("r")).isEqualTo("changed-outside");
    }
}
