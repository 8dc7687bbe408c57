package io.quarkiverse.level2pc.node;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * A {@link PeerLink} played by the test: every call is recorded with a future the test completes by hand
 * (or leaves pending: a peer that has not answered yet). Thread-safe.
 */
final class FakePeerLink implements PeerLink {

    static final String PREPARE = "prepare";
    static final String COMMIT = "commit";
    static final String ROLLBACK = "rollback";
    static final String OUTCOME = "outcome";
    static final String BRANCH_STATE = "branchState";
    static final String CAUGHT_UP = "caughtUp";

    /** One call to a peer: what was asked and the future its caller waits for. */
    static final class Call<T> {
        final String op;
        final String peer;
        final BranchId branch;
        final Bytes gtrid;
        final TxWork work;
        final List<Bytes> gtrids;
        final CompletableFuture<T> future = new CompletableFuture<>();

        Call(String op, String peer, BranchId branch, Bytes gtrid, TxWork work, List<Bytes> gtrids) {
            this.op = op;
            this.peer = peer;
            this.branch = branch;
            this.gtrid = gtrid;
            this.work = work;
            this.gtrids = gtrids;
        }

        void answer(T value) {
            future.complete(value);
        }

        void fail(Throwable t) {
            future.completeExceptionally(t);
        }

        @Override
        public String toString() {
            return op + " " + peer;
        }
    }

    private final List<Call<?>> calls = new ArrayList<>();
    /** Told of every call as it is made (before its future is returned). */
    private volatile Consumer<Call<?>> onCall = c -> {
    };

    void onCall(Consumer<Call<?>> listener) {
        this.onCall = listener;
    }

    private <T> CompletableFuture<T> record(Call<T> c) {
        onCall.accept(c);
        synchronized (this) {
            calls.add(c);
            notifyAll();
        }
        return c.future;
    }

    /** Every call so far, in order, as "op peer". */
    synchronized List<String> log() {
        return calls.stream().map(Call::toString).toList();
    }

    /** The calls of {@code op} (to any peer), in order. */
    @SuppressWarnings("unchecked")
    synchronized <T> List<Call<T>> calls(String op) {
        List<Call<T>> result = new ArrayList<>();
        for (Call<?> c : calls) {
            if (c.op.equals(op)) {
                result.add((Call<T>) c);
            }
        }
        return result;
    }

    /**
     * Waits (at most 10 s) until {@code count} calls of {@code op} were made: for calls a store's writer
     * thread makes once a write completed.
     */
    synchronized void awaitCalls(String op, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (calls(op).size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + count + " " + op + " call(s); calls: " + log());
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The calls of {@code op} to {@code peer}, in order. */
    <T> List<Call<T>> calls(String op, String peer) {
        List<Call<T>> all = calls(op);
        return all.stream().filter(c -> c.peer.equals(peer)).toList();
    }

    /** The last call of {@code op} to {@code peer}; fails if there is none. */
    <T> Call<T> last(String op, String peer) {
        List<Call<T>> list = calls(op, peer);
        if (list.isEmpty()) {
            throw new AssertionError("no " + op + " was sent to " + peer + "; calls: " + log());
        }
        return list.get(list.size() - 1);
    }

    /** The last call of {@code op} to {@code peer} about {@code gtrid}; fails if there is none. */
    <T> Call<T> last(String op, String peer, Bytes gtrid) {
        List<Call<T>> list = calls(op, peer);
        for (int i = list.size() - 1; i >= 0; i--) {
            if (gtrid.equals(list.get(i).gtrid)) {
                return list.get(i);
            }
        }
        throw new AssertionError("no " + op + " of " + gtrid + " was sent to " + peer + "; calls: " + log());
    }

    @Override
    public CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work) {
        return record(new Call<>(PREPARE, peer, id, id.gtrid(), work, null));
    }

    @Override
    public CompletableFuture<Completion> commit(String peer, BranchId id) {
        return record(new Call<>(COMMIT, peer, id, id.gtrid(), null, null));
    }

    @Override
    public CompletableFuture<Completion> rollback(String peer, BranchId id) {
        return record(new Call<>(ROLLBACK, peer, id, id.gtrid(), null, null));
    }

    @Override
    public CompletableFuture<Outcome> outcome(String peer, BranchId id) {
        return record(new Call<>(OUTCOME, peer, id, id.gtrid(), null, null));
    }

    @Override
    public CompletableFuture<Outcome> branchState(String peer, Bytes gtrid) {
        return record(new Call<>(BRANCH_STATE, peer, null, gtrid, null, null));
    }

    @Override
    public CompletableFuture<Hello> hello(String peer, boolean askLease) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("hello is not part of these tests"));
    }

    @Override
    public CompletableFuture<CatchUp> catchUp(String peer) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("catchUp is not part of these tests"));
    }

    @Override
    public CompletableFuture<Void> caughtUp(String peer, List<Bytes> gtrids) {
        return record(new Call<>(CAUGHT_UP, peer, null, null, null, List.copyOf(gtrids)));
    }
}
