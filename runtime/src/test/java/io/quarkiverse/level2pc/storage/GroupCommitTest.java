package io.quarkiverse.level2pc.storage;

import static io.quarkiverse.level2pc.storage.StoreContractTest.b;
import static io.quarkiverse.level2pc.storage.StoreContractTest.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit: writes submitted while the writer thread is writing are written together by its next
 * store write (one batch, one sync), and each submitter's future completes only after that write.
 */
class GroupCommitTest {

    /** What the writer was called with. */
    private record Call(List<String> ops, boolean sync) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstEntered = new CountDownLatch(1);
    private final CountDownLatch releaseFirst = new CountDownLatch(1);
    private GroupCommit group;

    @AfterEach
    void close() {
        releaseFirst.countDown();
        if (group != null) {
            group.close();
        }
    }

    private static List<String> describe(WriteOps ops) {
        List<String> d = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            d.add(str(ops.key(i)) + (ops.value(i) == null ? " deleted" : "=" + str(ops.value(i))));
        }
        return d;
    }

    /** A writer that records its calls, holds the first one until released, and throws {@code failure} on call {@code failAt}. */
    private GroupCommit.Writer writer(int failAt, Throwable failure) {
        return (ops, sync) -> {
            calls.add(new Call(describe(ops), sync));
            if (calls.size() == 1) {
                firstEntered.countDown();
                assertThat(releaseFirst.await(30, TimeUnit.SECONDS)).isTrue();
            }
            if (calls.size() == failAt) {
                if (failure instanceof Error e) {
                    throw e;
                }
                throw (Exception) failure;
            }
        };
    }

    /** Submits the first write and waits until the writer thread is inside it. */
    private CompletableFuture<Void> holdFirstWrite() throws InterruptedException {
        CompletableFuture<Void> first = group.submit(new WriteOps().put(b("first"), b("1")), false);
        assertThat(firstEntered.await(30, TimeUnit.SECONDS)).isTrue();
        return first;
    }

    private static void await(List<CompletableFuture<Void>> futures) throws Exception {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            // each future is checked by the caller
        }
    }

    @Test
    void writesSubmittedWhileOneIsInProgressAreWrittenTogetherInOneStoreWrite() throws Exception {
        group = new GroupCommit("test", writer(-1, null));
        CompletableFuture<Void> first = holdFirstWrite();

        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            queued.add(group.submit(new WriteOps().put(b("k" + i), b("v" + i)).delete(b("d" + i)), i == 3));
        }
        assertThat(queued).noneMatch(CompletableFuture::isDone);
        assertThat(first).isNotDone();

        releaseFirst.countDown();
        first.get(30, TimeUnit.SECONDS);
        await(queued);

        assertThat(queued).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0)).isEqualTo(new Call(List.of("first=1"), false));
        assertThat(calls.get(1).ops()).as("one batch, in submission order").containsExactly("k1=v1", "d1 deleted", "k2=v2",
                "d2 deleted", "k3=v3", "d3 deleted", "k4=v4", "d4 deleted", "k5=v5", "d5 deleted", "k6=v6", "d6 deleted");
        assertThat(calls.get(1).sync()).as("synced since one of its writes asked").isTrue();
        assertThat(group.stats()).isEqualTo(new Store.WriteStats(7, 2));
    }

    @Test
    void anErrorThrownByTheWriterFailsEveryFutureOfItsGroup() throws Exception {
        InternalError sigbus = new InternalError("SIGBUS");
        group = new GroupCommit("test", writer(2, sigbus));
        CompletableFuture<Void> first = holdFirstWrite();
        List<CompletableFuture<Void>> doomed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            doomed.add(group.submit(new WriteOps().put(b("k" + i), b("v")), true));
        }

        releaseFirst.countDown();
        first.get(30, TimeUnit.SECONDS);
        await(doomed);

        assertThat(calls).hasSize(2);
        assertThat(calls.get(1).ops()).hasSize(4);
        for (CompletableFuture<Void> f : doomed) {
            assertThat(f).isCompletedExceptionally();
            assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).cause().isInstanceOf(StoreFailedException.class)
                    .hasMessageContaining("test").hasMessageContaining("SIGBUS").cause().isSameAs(sigbus);
        }
        assertThat(group.stats()).as("the failed group is not counted").isEqualTo(new Store.WriteStats(1, 1));
    }

    @Test
    void anExceptionThrownByTheWriterFailsItsGroupToo() throws Exception {
        group = new GroupCommit("test", writer(2, new IOException("disk full")));
        CompletableFuture<Void> first = holdFirstWrite();
        CompletableFuture<Void> a = group.submit(new WriteOps().put(b("a"), b("1")), true);
        CompletableFuture<Void> c = group.submit(new WriteOps().put(b("c"), b("1")), false);

        releaseFirst.countDown();
        await(List.of(first, a, c));

        assertThat(first).isCompleted();
        assertThatThrownBy(a::join).hasCauseInstanceOf(StoreFailedException.class).hasMessageContaining("disk full");
        assertThatThrownBy(c::join).hasCauseInstanceOf(StoreFailedException.class);
    }

    @Test
    void theWriterThreadSurvivesAFailedGroupAndWritesTheNextOne() throws Exception {
        group = new GroupCommit("test", writer(2, new InternalError("SIGBUS")));
        CompletableFuture<Void> first = holdFirstWrite();
        CompletableFuture<Void> doomed = group.submit(new WriteOps().put(b("a"), b("1")), true);
        releaseFirst.countDown();
        await(List.of(first, doomed));
        assertThat(doomed).isCompletedExceptionally();

        CompletableFuture<Void> later = group.submit(new WriteOps().put(b("b"), b("1")), true);

        later.get(30, TimeUnit.SECONDS);
        assertThat(calls).hasSize(3);
        assertThat(calls.get(2).ops()).containsExactly("b=1");
    }

    @Test
    void closeWritesWhatIsQueuedThenRefusesNewWrites() throws Exception {
        group = new GroupCommit("test", writer(-1, null));
        CompletableFuture<Void> first = holdFirstWrite();
        CompletableFuture<Void> queued = group.submit(new WriteOps().put(b("q"), b("1")), true);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(group::close);
        releaseFirst.countDown();
        closing.get(30, TimeUnit.SECONDS);

        assertThat(first).isCompleted();
        assertThat(queued).isCompleted();
        CompletableFuture<Void> late = group.submit(new WriteOps().put(b("late"), b("1")), true);
        assertThatThrownBy(late::join).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("test is closed");
        assertThat(calls).hasSize(2);
    }
}
