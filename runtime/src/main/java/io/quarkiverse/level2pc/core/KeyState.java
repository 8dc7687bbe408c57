package io.quarkiverse.level2pc.core;

/**
 * One key as a catch-up source holds it (quorum mode): its version ({@link Bytes#EMPTY} if the source
 * never saw it) and value ({@code null}: deleted or absent).
 */
public record KeyState(Bytes key, Bytes version, byte[] value) {

    /** The commit stamp of this state (see {@link Stamps}). */
    public long stamp() {
        return Stamps.stampOf(version);
    }
}
