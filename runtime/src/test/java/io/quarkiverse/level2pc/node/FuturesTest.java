package io.quarkiverse.level2pc.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;

/** {@link Futures#join}: the value, or the failure as it was thrown, never wrapped, also through stages and threads. */
class FuturesTest {

    @Test
    void returnsTheValueOnceTheFutureCompletesOnAnotherThread() {
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> "v",
                CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
        assertThat(Futures.join(f)).isEqualTo("v");
        assertThat(Futures.join(CompletableFuture.completedFuture((String) null))).isNull();
    }

    @Test
    void rethrowsTheFailureItself() {
        ConflictException conflict = new ConflictException("key k held by t");
        assertThatThrownBy(() -> Futures.join(CompletableFuture.failedFuture(conflict))).isSameAs(conflict);
    }

    @Test
    void unwrapsTheCompletionExceptionOfADependentStage() {
        ConflictException conflict = new ConflictException("key k held by t");
        CompletableFuture<String> failed = new CompletableFuture<>();
        CompletableFuture<String> dependent = failed.thenApply(v -> v + "!");
        failed.completeExceptionally(conflict);
        assertThatThrownBy(() -> Futures.join(dependent)).isSameAs(conflict);
        assertThatThrownBy(() -> Futures.join(failed.thenCompose(v -> CompletableFuture.completedFuture(v))))
                .isSameAs(conflict);
    }

    @Test
    void aCheckedCauseComesBackAsALevel2pcExceptionCarryingIt() {
        IOException io = new IOException("disk");
        CompletableFuture<String> f = CompletableFuture.failedFuture(new CompletionException(io));
        assertThatThrownBy(() -> Futures.join(f)).isInstanceOf(Level2pcException.class)
                .extracting(Throwable::getCause).isSameAs(io);
    }

    @Test
    void anInterruptedWaitFailsAndKeepsTheInterruptFlag() throws Exception {
        var pool = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<String> never = new CompletableFuture<>();
            var result = pool.submit(() -> {
                Thread.currentThread().interrupt();
                try {
                    Futures.join(never);
                    return "returned";
                } catch (Level2pcException e) {
                    return "threw, interrupted=" + Thread.currentThread().isInterrupted();
                }
            });
            assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("threw, interrupted=true");
        } finally {
            pool.shutdownNow();
        }
    }
}
