package io.quarkiverse.level2pc.core;

/** A committed value with its version: the id of the transaction that wrote it (see {@link BranchId#version()}). */
public record Versioned(byte[] value, Bytes version) {
}
