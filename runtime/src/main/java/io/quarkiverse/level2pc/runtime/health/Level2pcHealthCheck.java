package io.quarkiverse.level2pc.runtime.health;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.quarkiverse.level2pc.node.LocalNode;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.PeerMonitor;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig.ReadinessCriterion;
import io.quarkiverse.level2pc.storage.Store;

/**
 * The {@code level-2pc} readiness check. By default ({@code quarkus.level-2pc.readiness=reads}) UP while the
 * node serves reads: its store is open and, in quorum mode, it holds its read lease; whether it also takes
 * writes is in its data ({@code writable}, and {@code writes-refused-because}) and is the {@link WritesHealthCheck}.
 * With {@code readiness=writes} it is UP only while the node also takes writes. Its data names the node, the
 * store directory, the number of in-doubt (prepared, undecided) branches, how many of them have waited longer
 * than {@code in-doubt-after}, and the state of each peer. Never throws: a failure is DOWN with a {@code reason}.
 */
@Readiness
@ApplicationScoped
public class Level2pcHealthCheck implements HealthCheck {

    @Inject
    Level2pcNode node;

    @Override
    public HealthCheckResponse call() {
        return report(node, "level-2pc", node.config().readiness() == ReadinessCriterion.WRITES);
    }

    /**
     * The check's answer.
     *
     * @param requireWrites whether UP requires that the node takes writes; else that it serves reads
     */
    static HealthCheckResponse report(Level2pcNode node, String name, boolean requireWrites) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name);
        try {
            b.withData("node", node.config().nodeName());
            Node n = node.nodeIfOpen();
            if (n == null) {
                String failure = node.failure();
                return b.down().withData("reason", failure != null ? failure : "store not open").build();
            }
            LocalNode local = n.local();
            List<LocalNode.InDoubt> inDoubt = local.inDoubt();
            long now = System.currentTimeMillis();
            long after = node.config().inDoubtAfter().toMillis();
            List<LocalNode.InDoubt> waiting = inDoubt.stream().filter(d -> d.ageMillis(now) >= after).toList();
            b.withData("store", local.store().location())
                    .withData("in-doubt", inDoubt.size())
                    .withData("in-doubt-waiting", waiting.size());
            Store.WriteStats writes = local.store().writeStats();
            // Group commit at work: how many callers' writes went out in how many synced LevelDB writes.
            b.withData("store-writes", writes.writes()).withData("store-syncs", writes.groups());
            PeerMonitor monitor = n.monitor();
            if (monitor == null) {
                b.withData("peers", 0);
            } else {
                b.withData("peers", monitor.status().size())
                        .withData("peers-connected", monitor.connectedCount())
                        .withData("min-consensus", monitor.required());
                for (PeerMonitor.PeerStatus p : monitor.status()) {
                    b.withData("peer " + p.uri(), p.state().name().toLowerCase()
                            + (p.node() == null ? "" : " (node '" + p.node() + "')")
                            + (p.lastError() == null ? "" : ": " + p.lastError()));
                }
            }
            if (n.quorum() != null) {
                b.withData("quorum-mode", n.quorum().describe());
            }
            String notWritable = notWritableBecause(n);
            b.withData("writable", notWritable == null);
            if (notWritable != null) {
                b.withData("writes-refused-because", notWritable);
            }
            if (requireWrites && notWritable != null) {
                return b.down().withData("reason", notWritable).build();
            }
            if (!n.readiness().readable()) {
                return b.down().withData("reason", "cannot serve reads: " + n.quorum().describe()).build();
            }
            return b.up().build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", String.valueOf(e.getMessage())).build();
        }
    }

    private static String notWritableBecause(Node n) {
        if (n.local().storeFailure() != null) {
            // Fail-stop: the node takes no writes until it is restarted (reads go on).
            return "store failed: " + n.local().storeFailure();
        }
        if (n.readiness().isReady()) {
            return null;
        }
        String why = n.readiness().notWritableBecause();
        return why != null ? why : "becoming ready";
    }
}
