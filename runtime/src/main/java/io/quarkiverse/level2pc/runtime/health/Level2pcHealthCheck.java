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
import io.quarkiverse.level2pc.storage.Store;

/**
 * The {@code level-2pc} readiness check: UP when the node's store is open and enough peers answer for
 * {@code min-consensus}. Its data names the node, the store directory, the number of in-doubt
 * (prepared, undecided) branches, how many of them have waited longer than {@code in-doubt-after}
 * (listing the oldest with coordinator and age), and the state of each peer. Never throws: a
 * failure is DOWN with a {@code reason}.
 */
@Readiness
@ApplicationScoped
public class Level2pcHealthCheck implements HealthCheck {

    @Inject
    Level2pcNode node;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("level-2pc");
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
                String why = n.readiness().notWritableBecause();
                return why == null ? b.withData("peers", 0).up().build() : b.withData("peers", 0).down().withData("reason", why).build();
            }
            b.withData("peers", monitor.status().size())
                    .withData("peers-connected", monitor.connectedCount())
                    .withData("min-consensus", monitor.required());
            for (PeerMonitor.PeerStatus p : monitor.status()) {
                b.withData("peer " + p.uri(), p.state().name().toLowerCase()
                        + (p.node() == null ? "" : " (node '" + p.node() + "')")
                        + (p.lastError() == null ? "" : ": " + p.lastError()));
            }
            if (n.quorum() != null) {
                b.withData("quorum-mode", n.quorum().describe());
            }
            if (local.storeFailure() != null) {
                // Fail-stop: the node takes no writes until it is restarted (reads go on).
                return b.down().withData("reason", "store failed: " + local.storeFailure()).build();
            }
            if (!n.readiness().isReady()) {
                String why = n.readiness().notWritableBecause();
                return b.down().withData("reason", why != null ? why
                        : "not enough peers connected for min-consensus: " + monitor.describeMissing()).build();
            }
            return b.up().build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", String.valueOf(e.getMessage())).build();
        }
    }
}
