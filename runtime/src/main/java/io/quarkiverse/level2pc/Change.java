package io.quarkiverse.level2pc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One committed change of one key, as a node applied it: delivered by {@link ReplicatedDB#changes(Range)} and as a
 * CDI event ({@code @Observes Change}, {@code @ObservesAsync Change}, qualified with the database's
 * {@link Database @Database} name unless it is the default database). Every node sees the changes of writes made
 * through any node, in the order it applied them (for one key: the order of the commits), and only changes that
 * committed.
 *
 * @param database the database name ({@link Database#DEFAULT_NAME} for the default one)
 * @param key the key (a copy owned by the receiver)
 * @param value the new value, or {@code null} if the change deleted the key
 * @param version the version the change gave the key (see {@link Versioned}); after a delete, the deleting
 *        write's
 */
public record Change(String database, byte[] key, byte[] value, String version) {

    public Change {
        Objects.requireNonNull(database, "database is null");
        Objects.requireNonNull(key, "key is null");
        Objects.requireNonNull(version, "version is null");
    }

    /** Whether the change deleted the key. */
    public boolean isDelete() {
        return value == null;
    }

    public String keyAsString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The new value as UTF-8 text, or {@code null} for a delete. */
    public String valueAsString() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Change c && database.equals(c.database) && Arrays.equals(key, c.key) && Arrays.equals(value, c.value)
                && version.equals(c.version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(database, Arrays.hashCode(key), Arrays.hashCode(value), version);
    }

    @Override
    public String toString() {
        return (isDelete() ? "del " : "put ") + keyAsString() + (isDelete() ? "" : "=" + valueAsString()) + " @" + version
                + (Database.DEFAULT_NAME.equals(database) ? "" : " in " + database);
    }
}
