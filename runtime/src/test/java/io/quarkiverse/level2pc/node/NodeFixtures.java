package io.quarkiverse.level2pc.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.storage.Store;

/** Small builders shared by the tests of the node drivers. */
final class NodeFixtures {

    /** Narayana's format id. */
    static final int NARAYANA_FORMAT_ID = 131077;
    static final Bytes DEFAULT = KeySpace.dbPrefix(KeySpace.DEFAULT_DB);

    private NodeFixtures() {
    }

    static BranchId branch(String gtrid) {
        return new BranchId(NARAYANA_FORMAT_ID, Bytes.utf8(gtrid), Bytes.utf8("bq-1"));
    }

    /**
     * A branch of an external (Narayana-shaped) transaction whose global id names {@code node} as its
     * coordinator: 28 bytes of unique part, then the node name.
     */
    static BranchId externalBranch(long unique, String node) {
        byte[] name = node.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(TxIds.UNIQUE_BYTES + name.length);
        b.putLong(unique).putLong(unique).putLong(unique).putInt(7).put(name);
        return new BranchId(NARAYANA_FORMAT_ID, Bytes.wrap(b.array()), Bytes.utf8("bq-1"));
    }

    /** A data key of the default database. */
    static Bytes k(String key) {
        return KeySpace.dataKey(DEFAULT, key.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] value(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(Versioned v) {
        return v == null ? null : new String(v.value(), StandardCharsets.UTF_8);
    }

    static WorkBuilder work() {
        return new WorkBuilder();
    }

    /** A node over LevelDB in {@code dir} (synced writes), its tombstones dated by the scheduler's wall clock. */
    static LocalNode openLevel(Path dir, String name, Duration lockWait, Scheduler scheduler) {
        return open(LevelStore.open(dir, true, 100), name, lockWait, scheduler);
    }

    /** A node over any store (a {@code MemoryStore} in most tests). */
    static LocalNode open(Store store, String name, Duration lockWait, Scheduler scheduler) {
        return LocalNode.open(new NodeStore(store, scheduler::currentTimeMillis), name, lockWait, scheduler);
    }

    /** The reads of {@code node} (they keep no state of their own). */
    static Reads reads(LocalNode node) {
        return new Reads(node);
    }

    /** The unwrapped failure of a future that must have failed already. */
    static Throwable failureOf(CompletableFuture<?> f) {
        assertThat(f).as("completed exceptionally").isCompletedExceptionally();
        try {
            f.join();
        } catch (RuntimeException e) {
            return Futures.unwrap(e);
        }
        throw new AssertionError("unreachable");
    }

    /**
     * Waits (at most 10 s) until {@code condition} holds: for effects a store's writer thread produces
     * after the future the test waited for completed.
     */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    static final class WorkBuilder {
        private final TreeMap<Bytes, byte[]> writes = new TreeMap<>();
        private final Map<Bytes, Bytes> reads = new HashMap<>();
        private String coordinator = "";
        private long priority;

        WorkBuilder put(Bytes key, byte[] value) {
            writes.put(key, value);
            return this;
        }

        WorkBuilder put(String key, String value) {
            return put(k(key), value(value));
        }

        WorkBuilder delete(Bytes key) {
            writes.put(key, null);
            return this;
        }

        /** Records that the transaction read {@code key} at {@code version}. */
        WorkBuilder read(Bytes key, Bytes version) {
            reads.put(key, version);
            return this;
        }

        /** Records that the transaction found {@code key} absent. */
        WorkBuilder readAbsent(Bytes key) {
            reads.put(key, Bytes.EMPTY);
            return this;
        }

        WorkBuilder coordinator(String name) {
            this.coordinator = name;
            return this;
        }

        /** Wait-die priority: smaller is older. */
        WorkBuilder priority(long p) {
            this.priority = p;
            return this;
        }

        TxWork build() {
            return new TxWork(writes, reads, coordinator, 0, List.of(), 0, priority);
        }

        /** Quorum-mode work. */
        TxWork quorum(long stamp, List<String> participants, int excluded) {
            return new TxWork(writes, reads, coordinator, stamp, participants, excluded, priority);
        }
    }
}
