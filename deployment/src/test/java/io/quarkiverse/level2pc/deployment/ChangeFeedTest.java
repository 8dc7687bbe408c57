package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.transaction.TransactionManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.test.QuarkusUnitTest;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.smallrye.mutiny.subscription.BackPressureFailure;

/**
 * The change feed on one node: a subscriber of a range receives the committed puts and deletes of its keys, in
 * commit order, with the versions reads show, and nothing of a rolled-back transaction or of other ranges; CDI
 * observers (sync, async, qualified by database) receive the same changes; a subscriber that falls behind more than
 * the buffer fails with a {@link BackPressureFailure} it can see.
 */
public class ChangeFeedTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, Observers.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ChangeFeedTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    @Database("orders")
    ReplicatedDB orders;
    @Inject
    TransactionManager tm;
    @Inject
    Observers observers;

    @Singleton // no client proxy: the test reads the fields
    static class Observers {
        final List<String> sync = new CopyOnWriteArrayList<>();
        final List<String> async = new CopyOnWriteArrayList<>();
        final List<String> ordersOnly = new CopyOnWriteArrayList<>();
        final List<String> syncThreads = new CopyOnWriteArrayList<>();

        void onChange(@Observes Change c) {
            if (c.keyAsString().startsWith("cdi:")) {
                sync.add(c.database() + " " + c);
                syncThreads.add(Thread.currentThread().getName());
            }
        }

        void onChangeAsync(@ObservesAsync Change c) {
            if (c.keyAsString().startsWith("cdi:")) {
                async.add(c.database() + " " + c);
            }
        }

        void onOrder(@Observes @Database("orders") Change c) {
            ordersOnly.add(c.toString());
        }
    }

    private static String brief(Change c) {
        return (c.isDelete() ? "del " : "put ") + c.keyAsString() + (c.isDelete() ? "" : "=" + c.valueAsString());
    }

    @Test
    void aSubscriberReceivesTheCommittedChangesOfItsRangeInOrder() throws Exception {
        AssertSubscriber<Change> sub = db.changes(Range.prefix("feed:")).subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        db.put("feed:a", "1");
        String v1 = db.getVersioned("feed:a").version();
        db.put("other", "x"); // not in the range
        orders.put("feed:a", "in orders"); // another database
        db.batch(b -> b.put("feed:b", "2").put("feed:a", "3"));
        tm.begin();
        db.put("feed:rolled-back", "never");
        tm.rollback();
        db.delete("feed:b");
        db.put("feed:a", "4");

        List<Change> got = sub.awaitItems(5, Duration.ofSeconds(10)).getItems();
        assertThat(got.stream().map(ChangeFeedTest::brief).collect(Collectors.toList())).containsExactly(
                "put feed:a=1", "put feed:a=3", "put feed:b=2", "del feed:b", "put feed:a=4");
        assertThat(got.get(0).version()).isEqualTo(v1);
        assertThat(got.get(4).version()).isEqualTo(db.getVersioned("feed:a").version());
        assertThat(got.get(1).version()).as("one batch, one version").isEqualTo(got.get(2).version());
        assertThat(got).allMatch(c -> c.database().equals(Database.DEFAULT_NAME));
        sub.cancel();
    }

    @Test
    void cdiObserversReceiveTheSameChanges() {
        db.put("cdi:x", "1");
        db.delete("cdi:x");
        orders.put("cdi:o", "2");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(observers.sync).hasSize(3);
            assertThat(observers.async).hasSize(3);
        });
        assertThat(observers.sync.stream().map(s -> s.replaceAll(" @.*", "")).collect(Collectors.toList()))
                .containsExactly(Database.DEFAULT_NAME + " put cdi:x=1", Database.DEFAULT_NAME + " del cdi:x",
                        "orders put cdi:o=2");
        assertThat(observers.async).containsExactlyInAnyOrderElementsOf(observers.sync);
        assertThat(observers.ordersOnly).as("a qualified observer sees its database only")
                .allMatch(s -> s.endsWith(" in orders")).anyMatch(s -> s.startsWith("put cdi:o=2"));
        assertThat(observers.syncThreads).containsOnly("level-2pc-changes");
    }

    @Test
    void aSubscriberThatFallsBehindFailsWithAnErrorItCanSee() {
        AssertSubscriber<Change> slow = db.changes(Range.prefix("flood:")).subscribe().withSubscriber(AssertSubscriber.create(1));
        db.batch(b -> {
            for (int i = 0; i < 10_500; i++) {
                b.put(String.format("flood:%05d", i), "v");
            }
        });
        slow.request(Long.MAX_VALUE);
        slow.awaitFailure(Duration.ofSeconds(20));
        assertThat(slow.getFailure()).isInstanceOf(BackPressureFailure.class);
        assertThat(slow.getItems()).hasSizeLessThan(10_500);
        // the node goes on, and a new subscriber is served
        AssertSubscriber<Change> again = db.changes(Range.prefix("flood:")).subscribe().withSubscriber(AssertSubscriber.create(10));
        db.delete("flood:00000");
        assertThat(again.awaitItems(1, Duration.ofSeconds(10)).getItems().get(0).isDelete()).isTrue();
    }
}
