package io.quarkiverse.level2pc.deployment;

import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Build-time configuration of the level-2pc extension. */
@ConfigMapping(prefix = "quarkus.level-2pc")
@ConfigRoot(phase = ConfigPhase.BUILD_TIME)
public interface Level2pcBuildTimeConfig {

    /**
     * Names of databases to create beans for, in addition to the default one and to every name used
     * in an `@Database("...")` injection point (those are found automatically). Useful for programmatic
     * lookup (`Arc.container().select(ReplicatedDB.class, Database.Literal.of("orders"))`). A name is
     * 1-64 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
     */
    Optional<List<String>> databases();

    /**
     * Health check settings.
     */
    HealthConfig health();

    /** Health check settings. */
    interface HealthConfig {
        /**
         * Whether the `level-2pc` readiness check is published when `quarkus-smallrye-health` is present.
         */
        @WithDefault("true")
        boolean enabled();
    }
}
