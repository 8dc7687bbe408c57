package io.quarkiverse.level2pc.storage;

import io.quarkiverse.level2pc.core.Bytes;

/** A committed value with its version: the id of the transaction that wrote it. */
public record Versioned(byte[] value, Bytes version) {
}
