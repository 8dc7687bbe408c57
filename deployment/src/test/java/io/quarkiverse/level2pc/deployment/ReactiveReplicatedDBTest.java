package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Versioned;
import io.quarkus.test.QuarkusUnitTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * {@code db.reactive()}: lazy {@code Uni}s (nothing happens before a subscription), the same reads, writes and
 * conditional writes as the blocking API, usable on a Vert.x event loop, where the blocking API refuses and names
 * {@code db.reactive()}.
 */
public class ReactiveReplicatedDBTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(ReactiveReplicatedDBTest.class));

    @Inject
    ReplicatedDB db;
    @Inject
    Vertx vertx;

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void lazyAndLikeTheBlockingApi() {
        Uni<Void> put = db.reactive().put("lazy", "1");
        assertThat(db.get("lazy")).as("not subscribed yet").isNull();
        await(put);
        assertThat(db.get("lazy")).isEqualTo("1");
        assertThat(await(db.reactive().get("lazy"))).isEqualTo("1");
        Versioned<String> v = await(db.reactive().getVersioned("lazy"));
        assertThat(await(db.reactive().replace("lazy", v.version(), "2"))).isTrue();
        assertThat(await(db.reactive().putIfAbsent("lazy", "3"))).isFalse();
        await(db.reactive().batch(b -> b.put("r:a", "a").delete("lazy")));
        assertThat(await(db.reactive().get("lazy"))).isNull();
        assertThat(await(db.reactive().get("r:a"))).isEqualTo("a");
    }

    @Test
    void onAnEventLoopTheReactiveApiWorksAndTheBlockingOneNamesIt() throws Exception {
        CompletableFuture<String> read = new CompletableFuture<>();
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            try {
                db.get("x");
                refused.complete(null);
            } catch (RuntimeException e) {
                refused.complete(e);
            }
            db.reactive().put("on-loop", "ok").chain(() -> db.reactive().get("on-loop"))
                    .subscribe().with(read::complete, read::completeExceptionally);
        });
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
        assertThat(refused.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("db.reactive()");
        assertThatThrownBy(() -> {
            throw refused.get();
        }).hasMessageContaining("event loop");
    }
}
