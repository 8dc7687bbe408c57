package io.quarkiverse.level2pc.it.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The keys, accounts and values every target works on: keys {@code k0 .. k<keys-1>} (all preloaded
 * with a value), accounts {@code acct0 .. acct<accounts-1>}, and a pool of distinct random values of
 * exactly {@code valueSize} bytes drawn from the seed.
 */
final class Keyspace {

    static final int VALUE_POOL = 256;
    static final long INITIAL_BALANCE = 1_000_000_000L;
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();

    final int keys;
    final int accounts;
    final int valueSize;
    private final Op.Value[] values;

    Keyspace(int keys, int accounts, int valueSize, long seed) {
        this.keys = keys;
        this.accounts = accounts;
        this.valueSize = valueSize;
        SplittableRandom random = new SplittableRandom(seed);
        this.values = new Op.Value[VALUE_POOL];
        for (int i = 0; i < VALUE_POOL; i++) {
            char[] c = new char[valueSize];
            for (int j = 0; j < valueSize; j++) {
                c[j] = ALPHABET[random.nextInt(ALPHABET.length)];
            }
            String text = new String(c);
            values[i] = new Op.Value(text, text.getBytes(StandardCharsets.US_ASCII));
        }
    }

    static String key(int i) {
        return "k" + i;
    }

    static String account(int i) {
        return "acct" + i;
    }

    /** Value {@code i} of the pool (modulo its size); key {@code i} is preloaded with {@code value(i)}. */
    Op.Value value(int i) {
        return values[Math.floorMod(i, VALUE_POOL)];
    }
}
