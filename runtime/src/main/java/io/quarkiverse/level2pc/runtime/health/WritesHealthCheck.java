package io.quarkiverse.level2pc.runtime.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.smallrye.health.api.HealthGroup;

/**
 * The {@code level-2pc-writes} check, alone in the health group {@code level-2pc-writes}
 * ({@code /q/health/group/level-2pc-writes}): UP while the node takes writes (its store is open and has not
 * failed, enough peers answer for {@code min-consensus}, and in quorum mode it holds its lease and is
 * current). What a deployment script waits for before it writes; the readiness check, by default, only says
 * that the node serves reads. Same data as the readiness check.
 */
@HealthGroup(WritesHealthCheck.GROUP)
@ApplicationScoped
public class WritesHealthCheck implements HealthCheck {

    /** The health group, and the check's name. */
    public static final String GROUP = "level-2pc-writes";

    @Inject
    Level2pcNode node;

    @Override
    public HealthCheckResponse call() {
        return Level2pcHealthCheck.report(node, GROUP, true);
    }
}
