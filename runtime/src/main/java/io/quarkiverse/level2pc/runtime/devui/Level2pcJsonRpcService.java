package io.quarkiverse.level2pc.runtime.devui;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import io.quarkiverse.level2pc.KeyValue;
import io.quarkiverse.level2pc.KeyValueIterator;
import io.quarkiverse.level2pc.Range;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.Scan;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PeerMonitor;
import io.quarkiverse.level2pc.runtime.Level2pcNode;

/**
 * What the Dev UI card shows and does (JSON-RPC, dev mode only): the node and its peers with their states, the
 * branches in doubt with the operator's decision by hand, a key browser per database (prefix scan, paged), and the
 * node's commit and conflict figures. Plain methods, so that a test can call them as the Dev UI does.
 */
public class Level2pcJsonRpcService {

    /** The most entries one page of the key browser shows. */
    static final int MAX_PAGE = 200;
    /** Values longer than this are cut in the browser (the full value is a read away). */
    static final int MAX_VALUE_CHARS = 500;

    private final Level2pcNode node;
    private final Instance<ReplicatedDB> databases;

    @Inject
    public Level2pcJsonRpcService(Level2pcNode node, @Any Instance<ReplicatedDB> databases) {
        this.node = node;
        this.databases = databases;
    }

    public record PeerView(String url, String state, String node, String lastError) {
    }

    /**
     * @param state {@code ready}, {@code not ready} (with {@code reason}), {@code not open}
     * @param committed transactions this node coordinated that committed, since it started (so conflicts and failed)
     */
    public record NodeView(String node, String state, String reason, boolean readable, String store, int inDoubt,
            long storeWrites, long storeSyncs, long committed, long conflicts, long failed, String quorum, List<PeerView> peers) {
    }

    public NodeView node() {
        String name = node.config().nodeName();
        Node n = node.nodeIfOpen();
        if (n == null) {
            return new NodeView(name, "not open", node.failure(), false, null, 0, 0, 0, 0, 0, 0, null, List.of());
        }
        LocalNode local = n.local();
        List<PeerView> peers = new ArrayList<>();
        if (n.monitor() != null) {
            for (PeerMonitor.PeerStatus p : n.monitor().status()) {
                peers.add(new PeerView(p.uri(), p.state().name().toLowerCase(), p.node(), p.lastError()));
            }
        }
        boolean ready = n.readiness().isReady() && local.storeFailure() == null;
        String reason = local.storeFailure() != null ? "store failed: " + local.storeFailure() : n.readiness().notWritableBecause();
        var writes = local.store().writeStats();
        long[] tx = node.transactionCounts();
        return new NodeView(name, ready ? "ready" : "not ready", ready ? null : reason, n.readiness().readable(),
                local.store().location().toString(), local.inDoubt().size(), writes.writes(), writes.groups(), tx[0], tx[1], tx[2],
                n.quorum() == null ? null : n.quorum().describe(), peers);
    }

    /** The card's label: peers connected of peers, or "alone". */
    public String peersLabel() {
        Node n = node.nodeIfOpen();
        if (n == null || n.monitor() == null) {
            return n == null ? "not open" : "alone";
        }
        return n.monitor().connectedCount() + "/" + n.monitor().status().size() + " peers";
    }

    public record InDoubtView(String branch, String coordinator, long ageMillis, int writes) {
    }

    public List<InDoubtView> inDoubt() {
        Node n = node.nodeIfOpen();
        if (n == null) {
            return List.of();
        }
        long now = System.currentTimeMillis();
        return n.local().inDoubt().stream().map(d -> new InDoubtView(d.branch().toString(), d.coordinator(), d.ageMillis(now),
                d.writes())).toList();
    }

    /**
     * Decides a branch in doubt by hand, as {@code POST /level-2pc/admin/in-doubt/<branch>/commit|rollback} does: a
     * heuristic decision, recorded and reported to the coordinator if it decided otherwise.
     *
     * @return the outcome ({@code COMMITTED} or {@code ROLLED_BACK})
     */
    public String decide(String branch, boolean commit) {
        Node n = node.nodeIfOpen();
        if (n == null) {
            throw new IllegalStateException("the store of node '" + node.config().nodeName() + "' is not open");
        }
        Futures.join(n.heuristics().decideHeuristically(BranchId.parse(branch), commit));
        return commit ? "COMMITTED" : "ROLLED_BACK";
    }

    /** The names of the application's databases (the default one is {@code <default>}). */
    public List<String> databases() {
        return databases.stream().map(ReplicatedDB::name).sorted().distinct().toList();
    }

    public record KeyEntry(String key, String value, String version) {
    }

    /** One page of a key browser: {@code entries} in key order, and whether more follow (ask again after the last). */
    public record KeyPage(String database, List<KeyEntry> entries, boolean more) {
    }

    public KeyPage keys(String database, String prefix, String after, int limit) {
        ReplicatedDB db = databases.stream().filter(d -> d.name().equals(database)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no database '" + database + "'; there are " + databases()));
        int n = Math.max(1, Math.min(limit <= 0 ? 50 : limit, MAX_PAGE));
        Scan scan = Scan.forward().limit(n + 1);
        if (after != null && !after.isEmpty()) {
            scan = scan.after(after);
        }
        List<KeyEntry> entries = new ArrayList<>();
        boolean more = false;
        try (KeyValueIterator it = db.scan(prefix == null || prefix.isEmpty() ? Range.all() : Range.prefix(prefix), scan)) {
            while (it.hasNext()) {
                KeyValue kv = it.next();
                if (entries.size() == n) {
                    more = true;
                    break;
                }
                String v = new String(kv.value(), StandardCharsets.UTF_8);
                entries.add(new KeyEntry(kv.keyAsString(), v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) + "…" : v,
                        kv.version()));
            }
        }
        return new KeyPage(Objects.requireNonNull(database), entries, more);
    }
}
