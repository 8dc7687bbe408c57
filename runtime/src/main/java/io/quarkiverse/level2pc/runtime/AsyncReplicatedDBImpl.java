package io.quarkiverse.level2pc.runtime;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.quarkiverse.level2pc.AsyncReplicatedDB;
import io.quarkiverse.level2pc.Batch;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;

/**
 * {@link AsyncReplicatedDB} of one {@link ReplicatedDBImpl}: the same standalone writes and reads, with
 * nothing that blocks a thread (the node's operations are asynchronous underneath; the blocking methods
 * only wait for them). Stages fail with the extension's exceptions themselves, not wrapped.
 */
final class AsyncReplicatedDBImpl implements AsyncReplicatedDB {

    private final ReplicatedDBImpl db;
    private final Level2pcNode node;
    private final Conditionals conditionals;

    AsyncReplicatedDBImpl(ReplicatedDBImpl db, Level2pcNode node, Conditionals conditionals) {
        this.db = db;
        this.node = node;
        this.conditionals = conditionals;
    }

    @Override
    public CompletionStage<byte[]> get(byte[] key) {
        return unwrapped(read(db.internalKey(key)).thenApply(v -> v == null ? null : v.value()));
    }

    @Override
    public CompletionStage<String> get(String key) {
        return unwrapped(read(db.internalKey(ReplicatedDBImpl.utf8(key, "key"))).thenApply(AsyncReplicatedDBImpl::text));
    }

    @Override
    public CompletionStage<io.quarkiverse.level2pc.Versioned<byte[]>> getVersioned(byte[] key) {
        return unwrapped(read(db.internalKey(key)).thenApply(v -> ReplicatedDBImpl.versioned(v, b -> b)));
    }

    @Override
    public CompletionStage<io.quarkiverse.level2pc.Versioned<String>> getVersioned(String key) {
        return unwrapped(read(db.internalKey(ReplicatedDBImpl.utf8(key, "key")))
                .thenApply(v -> ReplicatedDBImpl.versioned(v, ReplicatedDBImpl::text)));
    }

    /** The committed value of {@code k} once the node is open and may read (quorum mode: holds its lease). */
    private CompletableFuture<Versioned> read(Bytes k) {
        refuseInTransaction();
        return node.openAsync().thenCompose(n -> Conditionals.readAsync(n, k));
    }

    private static String text(Versioned v) {
        return v == null || v.value() == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    @Override
    public CompletionStage<Void> put(byte[] key, byte[] value) {
        return write(Map.of(db.internalKey(key), ReplicatedDBImpl.checkValue(value)));
    }

    @Override
    public CompletionStage<Void> put(String key, String value) {
        return put(ReplicatedDBImpl.utf8(key, "key"), ReplicatedDBImpl.utf8(value, "value"));
    }

    @Override
    public CompletionStage<Void> delete(byte[] key) {
        Map<Bytes, byte[]> op = new LinkedHashMap<>();
        op.put(db.internalKey(key), null);
        return write(op);
    }

    @Override
    public CompletionStage<Void> delete(String key) {
        return delete(ReplicatedDBImpl.utf8(key, "key"));
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(byte[] key, byte[] value) {
        return conditional(db.internalKey(key), Conditionals.absent(), ReplicatedDBImpl.checkValue(value));
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String key, String value) {
        return putIfAbsent(ReplicatedDBImpl.utf8(key, "key"), ReplicatedDBImpl.utf8(value, "value"));
    }

    @Override
    public CompletionStage<Boolean> replace(byte[] key, String expectedVersion, byte[] value) {
        return conditional(db.internalKey(key), Conditionals.is(expectedVersion), ReplicatedDBImpl.checkValue(value));
    }

    @Override
    public CompletionStage<Boolean> replace(String key, String expectedVersion, String value) {
        return replace(ReplicatedDBImpl.utf8(key, "key"), expectedVersion, ReplicatedDBImpl.utf8(value, "value"));
    }

    @Override
    public CompletionStage<Boolean> delete(byte[] key, String expectedVersion) {
        return conditional(db.internalKey(key), Conditionals.is(expectedVersion), null);
    }

    @Override
    public CompletionStage<Boolean> delete(String key, String expectedVersion) {
        return delete(ReplicatedDBImpl.utf8(key, "key"), expectedVersion);
    }

    private CompletionStage<Boolean> conditional(Bytes k, Predicate<Bytes> holds, byte[] value) {
        refuseInTransaction();
        return unwrapped(node.openAsync().thenCompose(n -> conditionals.standalone(n, k, holds, value)));
    }

    @Override
    public CompletionStage<Void> batch(Consumer<Batch> ops) {
        Map<Bytes, byte[]> collected = db.collect(ops);
        if (collected.isEmpty()) {
            refuseInTransaction();
            return CompletableFuture.completedFuture(null);
        }
        return write(collected);
    }

    private CompletionStage<Void> write(Map<Bytes, byte[]> ops) {
        refuseInTransaction();
        return unwrapped(node.openAsync().thenCompose(n -> db.standalone(n, ops)));
    }

    private void refuseInTransaction() {
        TxEnlistment tx = node.enlistmentIfStarted();
        if (tx != null && tx.inTransaction()) {
            throw new IllegalStateException("ReplicatedDB.async() takes no part in the JTA transaction of the calling thread"
                    + " (its stages complete on other threads): inside a transaction use the blocking methods of ReplicatedDB");
        }
    }

    /** {@code f}, failing with the cause itself rather than a {@code CompletionException} around it. */
    private static <T> CompletionStage<T> unwrapped(CompletableFuture<T> f) {
        CompletableFuture<T> result = new CompletableFuture<>();
        f.whenComplete((v, e) -> {
            if (e == null) {
                result.complete(v);
            } else {
                result.completeExceptionally(Futures.unwrap(e));
            }
        });
        return result;
    }
}
