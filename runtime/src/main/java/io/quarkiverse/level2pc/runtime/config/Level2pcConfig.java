package io.quarkiverse.level2pc.runtime.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Configuration of the node's replicated LevelDB. Read at startup; bad values stop the application
 * with a message naming the property.
 */
@ConfigMapping(prefix = "quarkus.level-2pc")
@ConfigRoot(phase = ConfigPhase.RUN_TIME)
public interface Level2pcConfig {

    /**
     * The name of this node: unique in the cluster and stable across restarts, 1 to 28 characters of
     * `[A-Za-z0-9._-]`. It is also Narayana's node name (`quarkus.transaction-manager.node-name`
     * defaults to it and must not differ), which is part of every transaction id this node
     * coordinates: recovery rolls back orphaned branches only of its own node name. The store
     * remembers the name it was created with and refuses to open under another one.
     */
    @WithDefault("local")
    String nodeName();

    /**
     * The node's data directory. The LevelDB lives in `<path>/leveldb`, Narayana's transaction log
     * defaults to `<path>/narayana` (`quarkus.transaction-manager.object-store.directory`). Relative
     * paths resolve against the working directory.
     */
    @WithDefault("data/${quarkus.level-2pc.node-name}")
    String path();

    /**
     * Base URLs of the other nodes of the cluster (e.g. `http://10.0.0.2:8080`). Empty: this node
     * runs alone. Replication to peers is not part of this release yet: a non-empty list is refused at
     * startup rather than silently ignored.
     */
    Optional<List<String>> peers();

    /**
     * How many peers must prepare a transaction for it to commit. Default: all peers. Must be between 0
     * and the number of peers.
     */
    OptionalInt minConsensus();

    /**
     * The secret every peer call must prove knowledge of. Required as soon as `peers` is set; at least
     * 16 characters.
     */
    Optional<String> clusterSecret();

    /**
     * Whether prepare records and commits are synced to disk (fsync) before they are acknowledged.
     * Turning it off keeps every acknowledged write through a process crash (`kill -9`) but not through
     * an operating-system crash or power loss.
     */
    @WithDefault("true")
    boolean sync();

    /**
     * How long a read of a key held by a prepared transaction waits for that transaction to finish
     * before failing with `LockWaitTimeoutException` (returning the older value would break
     * linearizability). Also bounds how long a blind write outside a transaction waits for a
     * conflicting lock.
     */
    @WithDefault("5s")
    Duration lockWaitTimeout();

    /**
     * How long a coordinator waits for a peer's prepare vote before it votes NO on the peer's behalf.
     */
    @WithDefault("10s")
    Duration prepareTimeout();

    /**
     * How long a write waits for the node to become ready (store open, prepared branches restored)
     * before failing with `NotReadyException`.
     */
    @WithDefault("10s")
    Duration readyTimeout();

    /**
     * LevelDB's limit of open table files.
     */
    @WithDefault("1000")
    int maxOpenFiles();
}
