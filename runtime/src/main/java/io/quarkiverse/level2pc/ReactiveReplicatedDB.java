package io.quarkiverse.level2pc;

import java.util.function.Consumer;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The Mutiny side of a {@link ReplicatedDB} ({@link ReplicatedDB#reactive()}): the operations of
 * {@link AsyncReplicatedDB} as {@link Uni}s, for reactive REST methods, reactive routes and Mutiny pipelines. Nothing
 * blocks a thread; like every {@code Uni} they are lazy: the operation starts when the {@code Uni} is subscribed
 * (each subscription runs it again), and a write is then a replicated transaction of its own with the same retries
 * and exceptions as the blocking API. Not for use inside a JTA transaction (see {@link AsyncReplicatedDB}).
 */
public interface ReactiveReplicatedDB {

    Uni<byte[]> get(byte[] key);

    Uni<String> get(String key);

    Uni<Versioned<byte[]>> getVersioned(byte[] key);

    Uni<Versioned<String>> getVersioned(String key);

    Uni<Void> put(byte[] key, byte[] value);

    Uni<Void> put(String key, String value);

    Uni<Void> delete(byte[] key);

    Uni<Void> delete(String key);

    Uni<Boolean> putIfAbsent(byte[] key, byte[] value);

    Uni<Boolean> putIfAbsent(String key, String value);

    Uni<Boolean> replace(byte[] key, String expectedVersion, byte[] value);

    Uni<Boolean> replace(String key, String expectedVersion, String value);

    Uni<Boolean> delete(byte[] key, String expectedVersion);

    Uni<Boolean> delete(String key, String expectedVersion);

    Uni<Void> batch(Consumer<Batch> ops);

    /** {@link ReplicatedDB#changes(Range)}. */
    Multi<Change> changes(Range range);
}
