package io.quarkiverse.level2pc.it.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What the clients do, one operation after the other. */
enum Workload {

    PUT(0, "PUT /kv/{key}: one value to a random key of the preloaded key space", true, true),
    BATCH(1, "POST /kv/batch: 10 puts to random keys, one transaction", true, true),
    BANK(2, "POST /bank/transfer: a transfer of 1 between two random accounts, a @Transactional read-modify-write", false,
            false),
    HOT_BANK(6, "POST /bank/transfer: a transfer of 1 between two of the first 10 accounts (many conflicts)", false, false),
    GET(3, "GET /kv/{key}: a random preloaded key", true, true),
    MIXED(4, "90 % GET /kv/{key}, 10 % PUT /kv/{key}", true, true),
    PING(5, "GET /ping: a constant text from the same application, no database", false, true);

    /** Operations per batch of the {@link #BATCH} workload. */
    static final int BATCH_SIZE = 10;
    /** Share of puts in {@link #MIXED}, in percent. */
    static final int MIXED_PUT_PERCENT = 10;
    /** Accounts {@link #HOT_BANK} transfers between: the first ones, {@code acct0 .. acct9}. */
    static final int HOT_BANK_ACCOUNTS = 10;

    /**
     * Seeds the random operations of the workload (see {@link OpSource}); fixed apart from the
     * declaration order, so that adding a workload does not change the operations of the others.
     */
    final int seedId;
    final String description;
    /** Whether the same operation has a counterpart on a local LevelDB. */
    final boolean hasBaseline;
    /** Whether the same operation has a counterpart on etcd (the bank has none: no transactions with reads). */
    final boolean onEtcd;

    Workload(int seedId, String description, boolean hasBaseline, boolean onEtcd) {
        this.seedId = seedId;
        this.description = description;
        this.hasBaseline = hasBaseline;
        this.onEtcd = onEtcd;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    boolean isBank() {
        return this == BANK || this == HOT_BANK;
    }

    static Workload parse(String s) {
        String label = s.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(w -> w.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown workload '" + s + "'; expected one of "
                        + Arrays.stream(values()).map(Workload::label).collect(Collectors.joining(", "))));
    }
}
