package io.quarkiverse.level2pc.core;

/**
 * The committed version of a key as the store holds it now; {@link Bytes#EMPTY} when the key is
 * absent. Supplied by the caller so that the core does no I/O itself.
 */
@FunctionalInterface
public interface VersionLookup {
    Bytes versionOf(Bytes key);

    /**
     * The greatest commit stamp the key carries, its deletion included (quorum mode keeps the version of
     * a deleted key as a tombstone); by default the stamp of its live version.
     */
    default long stampOf(Bytes key) {
        return Stamps.stampOf(versionOf(key));
    }
}
