package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Singleton;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ClusterNotReady;
import io.quarkiverse.level2pc.ClusterReady;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;

/**
 * An application observer of {@link ClusterReady} is called exactly once, with the node's name and no
 * branch in doubt, and the node is usable when it is; an {@code @ObservesAsync} observer receives it too; {@link ClusterNotReady} is observed once at
 * shutdown.
 */
public class ClusterReadyEventTest {

    static final String NOT_READY_PROPERTY = "level2pc.test.cluster-not-ready";

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class, ReadyObserver.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "event-node")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ClusterReadyEventTest.class))
            // the application's classes are gone after shutdown: the observer reports through a system property
            .setAfterAllCustomizer(() -> {
                String seen = System.clearProperty(NOT_READY_PROPERTY);
                if (!"event-node: shutting down".equals(seen)) {
                    throw new AssertionError("expected one ClusterNotReady at shutdown, observed: " + seen);
                }
            });

    @Singleton
    public static class ReadyObserver {
        static final List<ClusterReady> EVENTS = new CopyOnWriteArrayList<>();
        static final List<String> VALUES_SEEN = new CopyOnWriteArrayList<>();
        static final List<ClusterReady> ASYNC_EVENTS = new CopyOnWriteArrayList<>();

        void onReadyAsync(@ObservesAsync ClusterReady event) {
            ASYNC_EVENTS.add(event);
        }

        void onReady(@Observes ClusterReady event) {
            EVENTS.add(event);
            // the node must already serve reads and writes when the event arrives
            ReplicatedDB db = Arc.container().select(ReplicatedDB.class).get();
            db.put("written-on-ready", "yes");
            VALUES_SEEN.add(db.get("written-on-ready"));
        }

        void onNotReady(@Observes ClusterNotReady event) {
            String before = System.getProperty(NOT_READY_PROPERTY);
            System.setProperty(NOT_READY_PROPERTY, (before == null ? "" : before + " + ") + event.nodeName() + ": " + event.reason());
        }
    }

    @Test
    void observedOnceWithTheNodeName() {
        assertThat(ReadyObserver.EVENTS).containsExactly(new ClusterReady("event-node", 0));
        assertThat(ReadyObserver.VALUES_SEEN).containsExactly("yes");
        Awaitility.await("the @ObservesAsync observer").atMost(Duration.ofSeconds(10))
                .until(() -> ReadyObserver.ASYNC_EVENTS.equals(List.of(new ClusterReady("event-node", 0))));
    }
}
