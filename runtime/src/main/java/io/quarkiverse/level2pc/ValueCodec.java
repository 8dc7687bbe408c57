package io.quarkiverse.level2pc;

/**
 * How a {@link TypedDB} turns values into bytes and back, for applications that do not want JSON (Protocol Buffers,
 * a compact binary form, compressed text). Must be thread-safe; {@code decode(encode(v))} must equal {@code v}.
 */
public interface ValueCodec<T> {

    byte[] encode(T value);

    /**
     * @throws RuntimeException if {@code bytes} is not a value of this codec (surfaces to the caller of the read)
     */
    T decode(byte[] bytes);
}
