package io.quarkiverse.level2pc.runtime;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.Batch;
import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReactiveReplicatedDB;
import io.quarkiverse.level2pc.Versioned;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** {@link ReactiveReplicatedDB} as lazy {@link Uni}s over the database's {@link AsyncReplicatedDBImpl}. */
final class ReactiveReplicatedDBImpl implements ReactiveReplicatedDB {

    private final AsyncReplicatedDBImpl async;
    private final ReplicatedDBImpl db;

    ReactiveReplicatedDBImpl(ReplicatedDBImpl db, AsyncReplicatedDBImpl async) {
        this.db = db;
        this.async = async;
    }

    private static <T> Uni<T> uni(Supplier<CompletionStage<T>> call) {
        return Uni.createFrom().completionStage(call);
    }

    @Override
    public Uni<byte[]> get(byte[] key) {
        return uni(() -> async.get(key));
    }

    @Override
    public Uni<String> get(String key) {
        return uni(() -> async.get(key));
    }

    @Override
    public Uni<Versioned<byte[]>> getVersioned(byte[] key) {
        return uni(() -> async.getVersioned(key));
    }

    @Override
    public Uni<Versioned<String>> getVersioned(String key) {
        return uni(() -> async.getVersioned(key));
    }

    @Override
    public Uni<Void> put(byte[] key, byte[] value) {
        return uni(() -> async.put(key, value));
    }

    @Override
    public Uni<Void> put(String key, String value) {
        return uni(() -> async.put(key, value));
    }

    @Override
    public Uni<Void> delete(byte[] key) {
        return uni(() -> async.delete(key));
    }

    @Override
    public Uni<Void> delete(String key) {
        return uni(() -> async.delete(key));
    }

    @Override
    public Uni<Boolean> putIfAbsent(byte[] key, byte[] value) {
        return uni(() -> async.putIfAbsent(key, value));
    }

    @Override
    public Uni<Boolean> putIfAbsent(String key, String value) {
        return uni(() -> async.putIfAbsent(key, value));
    }

    @Override
    public Uni<Boolean> replace(byte[] key, String expectedVersion, byte[] value) {
        return uni(() -> async.replace(key, expectedVersion, value));
    }

    @Override
    public Uni<Boolean> replace(String key, String expectedVersion, String value) {
        return uni(() -> async.replace(key, expectedVersion, value));
    }

    @Override
    public Uni<Boolean> delete(byte[] key, String expectedVersion) {
        return uni(() -> async.delete(key, expectedVersion));
    }

    @Override
    public Uni<Boolean> delete(String key, String expectedVersion) {
        return uni(() -> async.delete(key, expectedVersion));
    }

    @Override
    public Uni<Void> batch(Consumer<Batch> ops) {
        return uni(() -> async.batch(ops));
    }

    @Override
    public Multi<Change> changes(Range range) {
        return db.changes(range);
    }
}
