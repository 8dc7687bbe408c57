package io.quarkiverse.level2pc.runtime.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.runtime.LocalNode;

/**
 * The {@code level-2pc} readiness check: UP when the node's store is open. Its data names the node,
 * the store directory and the number of in-doubt (prepared, undecided) branches. Never throws: a
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
            LocalNode local = node.nodeIfOpen();
            if (local == null) {
                String failure = node.failure();
                return b.down().withData("reason", failure != null ? failure : "store not open").build();
            }
            return b.up()
                    .withData("store", local.store().directory().toAbsolutePath().toString())
                    .withData("in-doubt", local.prepared().size())
                    .withData("peers", 0)
                    .build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", String.valueOf(e.getMessage())).build();
        }
    }
}
