package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.Transactional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Versioned;
import io.quarkus.test.QuarkusUnitTest;

/**
 * Versions and conditional writes on one node: a version changes with every write (even of the same value);
 * {@code putIfAbsent}, {@code replace} and {@code delete(key, version)} write only when their condition holds and
 * say so; compare-and-set increments from many threads lose nothing; inside a transaction the check is one of its
 * reads (a write slipping in before the commit rolls it back), and its own writes count; a string that is not a
 * version is refused with a message naming it.
 */
public class ConditionalWritesTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, InTransaction.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ConditionalWritesTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    TransactionManager tm;
    @Inject
    InTransaction inTransaction;

    public record Account(String owner, long balance) {
    }

    @ApplicationScoped
    static class InTransaction {
        @Inject
        ReplicatedDB db;

        @Transactional
        boolean putIfAbsentAfterOwnWrites(String key) {
            db.put(key, "mine");
            boolean afterPut = db.putIfAbsent(key, "other");
            Versioned<String> own = db.getVersioned(key);
            if (own.version() != null || !own.value().equals("mine")) {
                throw new AssertionError("own write read back as " + own);
            }
            db.delete(key);
            boolean afterDelete = db.putIfAbsent(key, "after-delete");
            return !afterPut && afterDelete;
        }
    }

    @Test
    void everyWriteGivesANewVersion() {
        assertThat(db.getVersioned("v")).isNull();
        db.put("v", "same");
        Versioned<String> first = db.getVersioned("v");
        assertThat(first.value()).isEqualTo("same");
        assertThat(first.version()).isNotBlank().matches("[A-Za-z0-9_-]+");
        assertThat(db.getVersioned("v")).as("reading does not change it").isEqualTo(first);
        db.put("v", "same");
        assertThat(db.getVersioned("v").version()).as("the same value written again").isNotEqualTo(first.version());
        assertThat(db.getVersioned("v".getBytes(StandardCharsets.UTF_8)).version()).isEqualTo(db.getVersioned("v").version());
        assertThat(db.exists("v")).isTrue();
        assertThat(db.exists("nope")).isFalse();
    }

    @Test
    void putIfAbsentWritesOnlyAnAbsentKey() {
        assertThat(db.putIfAbsent("pia", "first")).isTrue();
        assertThat(db.putIfAbsent("pia", "second")).isFalse();
        assertThat(db.get("pia")).isEqualTo("first");
        db.delete("pia");
        assertThat(db.putIfAbsent("pia", "third")).as("absent again after a delete").isTrue();
        assertThat(db.get("pia")).isEqualTo("third");
    }

    @Test
    void replaceAndDeleteNeedTheCurrentVersion() {
        db.put("cas", "1");
        String v1 = db.getVersioned("cas").version();
        assertThat(db.replace("cas", v1, "2")).isTrue();
        assertThat(db.get("cas")).isEqualTo("2");
        String v2 = db.getVersioned("cas").version();
        assertThat(v2).isNotEqualTo(v1);

        assertThat(db.replace("cas", v1, "stale")).as("an old version").isFalse();
        assertThat(db.delete("cas", v1)).isFalse();
        assertThat(db.get("cas")).isEqualTo("2");

        assertThat(db.delete("cas", v2)).isTrue();
        assertThat(db.get("cas")).isNull();
        assertThat(db.replace("cas", v2, "back")).as("an absent key holds no version").isFalse();
        assertThat(db.exists("cas")).isFalse();
    }

    @Test
    void typedValuesToo() {
        assertThat(db.putIfAbsent("acct", new Account("ann", 10))).isTrue();
        Versioned<Account> a = db.getVersioned("acct", Account.class);
        assertThat(a.value()).isEqualTo(new Account("ann", 10));
        assertThat(db.replace("acct", a.version(), new Account("ann", 15))).isTrue();
        assertThat(db.get("acct", Account.class).balance()).isEqualTo(15);
    }

    @Test
    void compareAndSetIncrementsFromManyThreadsLoseNothing() throws Exception {
        db.put("counter", "0");
        int threads = 8;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int retries = 0;
                    for (int i = 0; i < each; i++) {
                        while (true) {
                            Versioned<String> cur = db.getVersioned("counter");
                            if (db.replace("counter", cur.version(), String.valueOf(Long.parseLong(cur.value()) + 1))) {
                                break;
                            }
                            retries++;
                        }
                    }
                    return retries;
                }));
            }
            int retries = 0;
            for (Future<Integer> f : results) {
                retries += f.get(60, TimeUnit.SECONDS);
            }
            assertThat(db.get("counter")).as("every successful replace counted once (%d lost races retried)", retries)
                    .isEqualTo(String.valueOf(threads * each));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void insideATransactionTheCheckIsValidatedAtCommit() throws Exception {
        db.put("tx-cas", "a");
        String v = db.getVersioned("tx-cas").version();
        tm.begin();
        try {
            assertThat(db.replace("tx-cas", v, "b")).isTrue();
            // another writer changes the key before this transaction commits
            var suspended = tm.suspend();
            db.put("tx-cas", "intruder");
            tm.resume(suspended);
        } catch (RuntimeException e) {
            tm.rollback();
            throw e;
        }
        assertThatThrownBy(tm::commit).satisfies(e -> assertThat(ConflictException.find(e)).isNotNull());
        assertThat(db.get("tx-cas")).as("the transaction's write did not happen").isEqualTo("intruder");
    }

    @Test
    void insideATransactionItsOwnWritesCount() {
        assertThat(inTransaction.putIfAbsentAfterOwnWrites("own")).isTrue();
        assertThat(db.get("own")).isEqualTo("after-delete");
    }

    @Test
    void aStringThatIsNotAVersionIsRefused() {
        db.put("bad-version", "x");
        assertThatThrownBy(() -> db.replace("bad-version", "not a version!", "y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedVersion 'not a version!' is not a version");
        assertThatThrownBy(() -> db.delete("bad-version", (String) null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("putIfAbsent");
        assertThat(db.get("bad-version")).isEqualTo("x");
    }

    @Test
    void getAllReturnsThePresentKeysInTheOrderAsked() {
        db.batch(b -> b.put("m1", "1").put("m3", "3"));
        Map<String, String> found = db.getAll(List.of("m3", "m2", "m1"));
        assertThat(found).containsExactly(Map.entry("m3", "3"), Map.entry("m1", "1"));
    }

    @Test
    void theAsyncSideToo() throws Exception {
        assertThat(db.async().putIfAbsent("async-cas", "1").toCompletableFuture().get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(db.async().putIfAbsent("async-cas", "x").toCompletableFuture().get(10, TimeUnit.SECONDS)).isFalse();
        Versioned<String> v = db.async().getVersioned("async-cas").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(v.value()).isEqualTo("1");
        assertThat(db.async().replace("async-cas", v.version(), "2").toCompletableFuture().get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(db.async().replace("async-cas", v.version(), "3").toCompletableFuture().get(10, TimeUnit.SECONDS)).isFalse();
        String v2 = db.getVersioned("async-cas").version();
        assertThat(db.async().delete("async-cas", v.version()).toCompletableFuture().get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(db.async().delete("async-cas", v2).toCompletableFuture().get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(db.get("async-cas")).isNull();
    }
}
