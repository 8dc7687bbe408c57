package io.quarkiverse.level2pc.node;

/** What a prepare voted: YES (the prepare record is durable) or READ_ONLY (nothing to commit there). A NO vote is a {@code ConflictException}. */
public enum Vote {
    YES,
    READ_ONLY
}
