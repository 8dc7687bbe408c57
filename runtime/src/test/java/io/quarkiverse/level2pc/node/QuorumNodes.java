package io.quarkiverse.level2pc.node;

import static io.quarkiverse.level2pc.node.NodeFixtures.k;
import static io.quarkiverse.level2pc.node.NodeFixtures.value;
import static io.quarkiverse.level2pc.node.NodeFixtures.work;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.Stamps;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Quorum-mode nodes "a", "b", "c" over real LevelDBs (each in its own directory, on one
 * {@link ManualScheduler}); the peer transport between them is played by the test. Shared by the
 * catch-up tests.
 */
final class QuorumNodes implements AutoCloseable, AfterEachCallback {

    static final Bytes K1 = k("k1");
    static final Bytes K2 = k("k2");
    static final Bytes K3 = k("k3");
    static final Bytes K4 = k("k4");
    static final BranchId SEED = NodeFixtures.branch("seed");
    static final BranchId T1 = NodeFixtures.branch("tx-1");
    static final BranchId T2 = NodeFixtures.branch("tx-2");
    static final BranchId T3 = NodeFixtures.branch("tx-3");
    static final List<String> ALL = List.of("a", "b", "c");
    static final List<String> WITHOUT_C = List.of("a", "b");
    static final Bytes G_LOW = Bytes.utf8("tx-low");
    static final Bytes G_HIGH = Bytes.utf8("tx-high");

    final ManualScheduler clock = new ManualScheduler();
    private Path dir;
    private final List<LocalNode> nodes = new ArrayList<>();

    /** Nodes in a temporary directory of their own, closed and deleted after each test (register it as an extension). */
    QuorumNodes() {
    }

    QuorumNodes(Path dir) {
        this.dir = dir;
    }

    private Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("quorum-nodes");
                ownDir = true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    private boolean ownDir;

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
        if (ownDir) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    LocalNode open(String name) {
        return open(name, name);
    }

    LocalNode open(String name, String subdir) {
        LocalNode node = NodeFixtures.openLevel(dir().resolve(subdir), name, Duration.ofSeconds(10), clock);
        nodes.add(node);
        return node;
    }

    @Override
    public void close() {
        nodes.forEach(LocalNode::close);
    }

    /** Quorum work coordinated by "a". */
    static TxWork quorum(long stamp, List<String> participants, int excluded, NodeFixtures.WorkBuilder b) {
        return b.coordinator("a").quorum(stamp, participants, excluded);
    }

    static void prepareAndCommit(LocalNode node, BranchId id, TxWork w) {
        assertThat(node.prepare(id, w).join()).isEqualTo(Vote.YES);
        assertThat(node.commit(id).join()).isEqualTo(Completion.DONE);
    }

    /** Commits the same quorum work on every node, all of them participants: k1 = k2 = k3 = v0. */
    static long seed(LocalNode... on) {
        long s0 = on[0].nextStamp();
        TxWork seed = quorum(s0, ALL, 0, work().put(K1, value("v0")).put(K2, value("v0")).put(K3, value("v0")));
        for (LocalNode n : on) {
            prepareAndCommit(n, SEED, seed);
        }
        return s0;
    }

    /** What node {@code name} must take from {@code source}. */
    static CatchUp catchUpFor(LocalNode source, String name) {
        return new CatchUps(source).catchUpFor(name);
    }

    /** Applies the sources' answers on {@code node}: {@code null} when applied, else why not. */
    static String apply(LocalNode node, CatchUp... answers) {
        return new CatchUps(node).apply(List.of(answers)).join();
    }

    static void caughtUp(LocalNode source, String name, List<Bytes> gtrids) {
        new CatchUps(source).caughtUp(name, gtrids).join();
    }

    static CatchUp answer(KeyState... keys) {
        return new CatchUp(List.of(keys), List.of(), List.of());
    }

    static KeyState live(Bytes key, long stamp, Bytes gtrid, String v) {
        return new KeyState(key, Stamps.version(stamp, gtrid), value(v));
    }

    static KeyState deleted(Bytes key, long stamp, Bytes gtrid) {
        return new KeyState(key, Stamps.version(stamp, gtrid), null);
    }
}
