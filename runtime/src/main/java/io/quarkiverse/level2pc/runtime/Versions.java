package io.quarkiverse.level2pc.runtime;

import java.util.Base64;

import io.quarkiverse.level2pc.core.Bytes;

/**
 * The public form of a key's version ({@link io.quarkiverse.level2pc.Versioned#version()}): the internal version
 * bytes (stamp and writer's transaction id, see {@code Stamps}) in URL-safe Base64 without padding, so that it
 * fits in a URL, a header and an HTTP {@code ETag} as it is.
 */
final class Versions {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Versions() {
    }

    /** The public form of a committed version; {@code null} for {@link Bytes#EMPTY} (an absent key has none). */
    static String encode(Bytes version) {
        return version == null || version.length() == 0 ? null : ENCODER.encodeToString(version.unsafeArray());
    }

    /** The internal version that {@code version} names; refuses what {@link #encode} cannot have given. */
    static Bytes decode(String version, String what) {
        if (version == null) {
            throw new IllegalArgumentException(what + " is null (a version is what Versioned.version() gives;"
                    + " to write only if the key is absent use putIfAbsent)");
        }
        byte[] raw;
        try {
            raw = DECODER.decode(version);
        } catch (IllegalArgumentException e) {
            raw = new byte[0];
        }
        if (raw.length == 0 || !ENCODER.encodeToString(raw).equals(version)) {
            throw new IllegalArgumentException(what + " '" + version + "' is not a version: versions are the opaque"
                    + " strings Versioned.version() and KeyValue.version() give");
        }
        return Bytes.wrap(raw);
    }
}
