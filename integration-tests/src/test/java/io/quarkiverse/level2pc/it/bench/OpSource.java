package io.quarkiverse.level2pc.it.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The operations of one client of one cell, drawn from a seeded random: client {@code i} of a
 * workload makes the same sequence of operations against every target (a local LevelDB, 1 node, 3
 * nodes), as far as it gets in the time.
 */
final class OpSource {

    private final Workload workload;
    private final Keyspace space;
    private final SplittableRandom random;

    OpSource(Workload workload, Keyspace space, long seed, int clients, int client) {
        this.workload = workload;
        this.space = space;
        this.random = new SplittableRandom(mix(seed, workload.seedId, clients, client));
    }

    Op next() {
        return switch (workload) {
            case PUT -> put();
            case BATCH -> batch();
            case BANK -> transfer(space.accounts);
            case HOT_BANK -> transfer(Math.min(Workload.HOT_BANK_ACCOUNTS, space.accounts));
            case GET -> get();
            case MIXED -> random.nextInt(100) < Workload.MIXED_PUT_PERCENT ? put() : get();
            case PING -> Op.Ping.INSTANCE;
        };
    }

    private Op.Put put() {
        return new Op.Put(Keyspace.key(random.nextInt(space.keys)), space.value(random.nextInt(Keyspace.VALUE_POOL)));
    }

    private Op.Batch batch() {
        int size = Math.min(Workload.BATCH_SIZE, space.keys);
        List<Op.Put> puts = new ArrayList<>(size);
        java.util.Set<String> keys = new java.util.HashSet<>();
        while (puts.size() < size) {
            Op.Put p = put();
            if (keys.add(p.key())) {
                puts.add(p);
            }
        }
        return new Op.Batch(puts);
    }

    private Op.Get get() {
        return new Op.Get(Keyspace.key(random.nextInt(space.keys)));
    }

    /** A transfer of 1 between two distinct accounts among the first {@code accounts}. */
    private Op.Transfer transfer(int accounts) {
        int from = random.nextInt(accounts);
        int to = random.nextInt(accounts - 1);
        if (to >= from) {
            to++;
        }
        return new Op.Transfer(Keyspace.account(from), Keyspace.account(to), 1);
    }

    static long mix(long seed, long... parts) {
        long h = seed;
        for (long p : parts) {
            h = h * 0x9E3779B97F4A7C15L + p;
            h ^= h >>> 31;
        }
        return h;
    }
}
