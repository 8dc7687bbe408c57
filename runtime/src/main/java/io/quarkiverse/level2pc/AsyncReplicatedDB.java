package io.quarkiverse.level2pc;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The non-blocking side of a {@link ReplicatedDB} ({@link ReplicatedDB#async()}), for code that must not
 * block a thread: a Quarkus REST method that returns a {@code CompletionStage} (or a Mutiny {@code Uni}:
 * {@code Uni.createFrom().completionStage(db.async().put(k, v))}), a Vert.x handler, a reactive route.
 * <p>
 * Every call returns at once. A write is a replicated transaction of its own, exactly like a blocking
 * write outside a transaction: its stage completes when the write is committed (on every node, or in
 * quorum mode on the nodes that take part), after the same retries, and fails with the same exceptions
 * (the {@link Level2pcException} itself, never wrapped: {@link ConflictException} once the retries are
 * spent, {@link NotReadyException}, {@link PeerUnavailableException}, {@link LockWaitTimeoutException}). A
 * read completes with the committed value, after the same waits as a blocking read (a commit on its way to
 * this node; in quorum mode, the read lease). Keys and values are checked when the call is made: bad ones
 * throw at once, as with the blocking methods.
 * <p>
 * Not for use inside a JTA transaction: a transaction is bound to its thread and the stages complete on
 * others, so these methods throw {@link IllegalStateException} when the calling thread has one; use the
 * blocking methods of {@link ReplicatedDB} there.
 */
public interface AsyncReplicatedDB {

    /** The committed value of {@code key}, or {@code null}. */
    CompletionStage<byte[]> get(byte[] key);

    /** The committed value of {@code key} as UTF-8 text, or {@code null}. */
    CompletionStage<String> get(String key);

    /** The committed value of {@code key} with its version, or {@code null}. */
    CompletionStage<Versioned<byte[]>> getVersioned(byte[] key);

    /** The committed UTF-8 value of {@code key} with its version, or {@code null}. */
    CompletionStage<Versioned<String>> getVersioned(String key);

    CompletionStage<Void> put(byte[] key, byte[] value);

    /** Puts {@code value} as UTF-8 text. */
    CompletionStage<Void> put(String key, String value);

    CompletionStage<Void> delete(byte[] key);

    CompletionStage<Void> delete(String key);

    /** {@link ReplicatedDB#putIfAbsent(byte[], byte[])}: completes with whether it stored the value. */
    CompletionStage<Boolean> putIfAbsent(byte[] key, byte[] value);

    CompletionStage<Boolean> putIfAbsent(String key, String value);

    /** {@link ReplicatedDB#replace(byte[], String, byte[])}: completes with whether it stored the value. */
    CompletionStage<Boolean> replace(byte[] key, String expectedVersion, byte[] value);

    CompletionStage<Boolean> replace(String key, String expectedVersion, String value);

    /** {@link ReplicatedDB#delete(byte[], String)}: completes with whether it removed the key. */
    CompletionStage<Boolean> delete(byte[] key, String expectedVersion);

    CompletionStage<Boolean> delete(String key, String expectedVersion);

    /** The operations {@code ops} adds, applied atomically as one replicated transaction. */
    CompletionStage<Void> batch(Consumer<Batch> ops);
}
