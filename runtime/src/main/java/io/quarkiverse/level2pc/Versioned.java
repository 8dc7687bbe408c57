package io.quarkiverse.level2pc;

import java.util.Objects;

/**
 * A value read together with its version ({@link ReplicatedDB#getVersioned}).
 * <p>
 * A version names one committed write of one key: every write of a key gives it a new version, the same on every
 * node. It is an opaque string (URL- and header-safe): compare versions with {@code equals} and hand one back to
 * {@link ReplicatedDB#replace(String, String, String)} or {@link ReplicatedDB#delete(String, String)} to write
 * only if the key still holds it (optimistic concurrency; an HTTP {@code ETag}). Versions are not ordered: do not
 * compare them otherwise or take them apart.
 *
 * @param value the value, never {@code null}
 * @param version the committed version, or {@code null} for a value the current transaction wrote itself (it
 *        has no version until the transaction commits)
 */
public record Versioned<T>(T value, String version) {

    public Versioned {
        Objects.requireNonNull(value, "value is null");
    }
}
