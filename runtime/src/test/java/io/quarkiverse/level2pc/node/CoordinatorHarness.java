package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.storage.MemoryStore;

/**
 * Node "a" with its {@link TxCoordinator} over an in-memory store, a {@link FakePeerLink} and a
 * {@link ManualScheduler}: what the coordinator tests share. Its disk flushes at once unless
 * {@linkplain HeldDisk#hold held}.
 */
final class CoordinatorHarness implements AutoCloseable {

    static final String SELF = "a";
    static final String B = "http://b:8080";
    static final String C = "http://c:8080";
    static final String D = "http://d:8080";
    static final String E = "http://e:8080";
    static final Duration LOCK_WAIT = Duration.ofSeconds(5);

    /** A disk whose flushes run at once, or wait while it is held. */
    static final class HeldDisk implements MemoryStore.Disk {
        private final List<Runnable> queued = new ArrayList<>();
        private boolean held;

        @Override
        public void requestFlush(boolean sync, Runnable flush) {
            synchronized (this) {
                if (held) {
                    queued.add(flush);
                    return;
                }
            }
            flush.run();
        }

        synchronized void hold() {
            held = true;
        }

        /** Runs the flushes that waited, and every later one at once. */
        void release() {
            List<Runnable> ready;
            synchronized (this) {
                held = false;
                ready = new ArrayList<>(queued);
                queued.clear();
            }
            ready.forEach(Runnable::run);
        }
    }

    final ManualScheduler clock = new ManualScheduler();
    final FakePeerLink link = new FakePeerLink();
    final Map<BranchId, Outcome> externalLog = new HashMap<>();
    final List<String> unreachable = new ArrayList<>();
    /** Ids of transactions the test runs through {@link TxCoordinator#commit} (this node's own format). */
    final TxIds ids = new TxIds(SELF, 99);
    HeldDisk disk = new HeldDisk();
    MemoryStore memory = MemoryStore.on(SELF, disk);
    LocalNode local;
    TxCoordinator coordinator;
    private final boolean waitForPeerCommits;

    CoordinatorHarness(boolean waitForPeerCommits) {
        this.waitForPeerCommits = waitForPeerCommits;
        open();
    }

    CoordinatorHarness() {
        this(false);
    }

    private void open() {
        local = NodeFixtures.open(memory, SELF, LOCK_WAIT, clock);
        coordinator = new TxCoordinator(local, link, clock, new TxIds(SELF, 42), new Random(7), waitForPeerCommits,
                b -> externalLog.getOrDefault(b, Outcome.UNKNOWN), (peer, why) -> {
                    synchronized (unreachable) {
                        unreachable.add(peer);
                    }
                });
    }

    /** The machine loses power (what was not synced is lost) and node "a" starts again over what was durable. */
    void crashAndRestart() {
        disk = new HeldDisk();
        memory = memory.crash(disk, true);
        open();
    }

    @Override
    public void close() {
        local.close();
    }

    /** Answers the last prepare sent to {@code peer} with {@code v}. */
    void vote(String peer, Vote v) {
        link.<Vote> last(FakePeerLink.PREPARE, peer).answer(v);
    }
}
