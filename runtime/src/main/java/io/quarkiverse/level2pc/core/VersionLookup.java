package io.quarkiverse.level2pc.core;

/**
 * The committed version of a key as the store holds it now; {@link Bytes#EMPTY} when the key is
 * absent. Supplied by the caller so that the core does no I/O itself.
 */
@FunctionalInterface
public interface VersionLookup {
    Bytes versionOf(Bytes key);
}
