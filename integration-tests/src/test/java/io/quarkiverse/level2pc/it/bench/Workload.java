package io.quarkiverse.level2pc.it.bench;

import java.util.Locale;

/** What the clients do, one operation after the other. */
enum Workload {

    PUT("PUT /kv/{key}: one value to a random key of the preloaded key space", true),
    BATCH("POST /kv/batch: 10 puts to random keys, one transaction", true),
    BANK("POST /bank/transfer: a transfer of 1 between two random accounts, a @Transactional read-modify-write", false),
    GET("GET /kv/{key}: a random preloaded key", true),
    MIXED("90 % GET /kv/{key}, 10 % PUT /kv/{key}", true),
    PING("GET /ping: a constant text from the same application, no database", false);

    /** Operations per batch of the {@link #BATCH} workload. */
    static final int BATCH_SIZE = 10;
    /** Share of puts in {@link #MIXED}, in percent. */
    static final int MIXED_PUT_PERCENT = 10;

    final String description;
    /** Whether the same operation has a counterpart on a local LevelDB. */
    final boolean hasBaseline;

    Workload(String description, boolean hasBaseline) {
        this.description = description;
        this.hasBaseline = hasBaseline;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Workload parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown workload '" + s + "'; expected one of put, batch, bank, get, mixed, ping");
        }
    }
}
