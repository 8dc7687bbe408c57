package io.quarkiverse.level2pc.runtime.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.quarkus.runtime.configuration.MemorySize;
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
     * Base URLs of the other nodes of the cluster, comma-separated (e.g.
     * `http://10.0.0.2:8080,http://10.0.0.3:8080`): scheme, host and port, no path. Empty: this node
     * runs alone. Every write is committed on this node and on every peer by two-phase commit. The list
     * may name this node too, so that every node can share one list (a Kubernetes StatefulSet): an entry
     * whose host starts with `node-name` followed by a dot (`http://kv-0.kv-peers:8080` for node `kv-0`)
     * is this node, and is skipped.
     */
    Optional<List<String>> peers();

    /**
     * How many peers must prepare a transaction, besides the coordinator, for it to commit. Default: all
     * peers (full replication: every write waits for every node; reads are served even when peers are
     * down). Below the number of peers the cluster runs in quorum mode: a write commits on the coordinator
     * and the peers connected to it, at least `min-consensus` of them; the coordinator plus `min-consensus`
     * must be a majority of the cluster (3 nodes: 1; 5 nodes: 2), else startup fails. In quorum mode a node
     * serves reads only while it holds its read lease (see `read-lease`), and a node that missed commits
     * catches up from its peers before it serves reads or takes part in writes again.
     */
    OptionalInt minConsensus();

    /**
     * Quorum mode only: how long a node may serve reads after it asked `min-consensus` peers for a
     * heartbeat that they answered. A node answering a heartbeat promises not to commit without the asking
     * node for twice this time, so a node stops reading before any write it misses can commit. Must be at
     * least twice `heartbeat-interval` (the lease is renewed by every heartbeat). A dead or cut-off peer
     * delays writes by up to twice this time before they commit without it.
     */
    @WithDefault("3s")
    Duration readLease();

    /**
     * The secret every peer call must prove knowledge of (HMAC-SHA256 over each request; the secret
     * never travels). Required as soon as `peers` is set; at least 16 characters; identical on every
     * node. Without it, this node's peer endpoints refuse every call.
     */
    Optional<String> clusterSecret();

    /**
     * The name of the cluster. A node refuses peers that report another cluster name, so two
     * clusters pointed at each other by mistake do not mix.
     */
    @WithDefault("level-2pc")
    String clusterName();

    /**
     * How often the node checks each peer (a `hello` call), and the base of the reconnect back-off. With every
     * node in every write, a node skips its `hello` to a connected peer that said `hello` to it within the last
     * interval, but says its own at least every 4 intervals (shared heartbeats).
     */
    @WithDefault("1s")
    Duration heartbeatInterval();

    /**
     * After how many failed reconnect attempts in a row a peer is reported failed (`PeerFailed` event).
     * The node keeps trying afterwards, at the longest back-off.
     */
    @WithDefault("5")
    int failAfter();

    /**
     * How far a peer request's timestamp may be from this node's clock (replay window of the peer
     * authentication). Keep node clocks in sync (NTP) well within it.
     */
    @WithDefault("30s")
    Duration authWindow();

    /**
     * The largest peer-protocol message body: a node refuses a larger request with 413, and fails a call
     * whose answer is larger, without reading it, as a peer failure. A prepare carries all of a transaction's
     * writes, so this bounds the size of a replicated transaction; a quorum-mode catch-up answer is paged to
     * about a quarter of it. Must not exceed `quarkus.http.limits.max-body-size` (default 10240K), which
     * Quarkus applies first. Set the same value on every node.
     */
    @WithDefault("10M")
    MemorySize maxMessageSize();

    /**
     * The name of the TLS configuration (Quarkus TLS registry, `quarkus.tls.<name>.*`) whose trust store
     * this node uses to call `https://` peers. Empty: the default TLS configuration (`quarkus.tls.*`),
     * else the JDK's default trust.
     */
    Optional<String> tlsConfigurationName();

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
     * How long a node waits for a peer's answer to any peer call (a prepare vote in particular) before
     * it treats the peer as unavailable: a prepare then counts as a NO vote and the transaction rolls
     * back; a commit is sent again by the coordinator, which keeps its decision until the peer acknowledges
     * it. In quorum mode (`min-consensus` below the number of peers) the node waits at most `read-lease`
     * (the smaller of the two): a prepare held back longer than the read lease must not pass, or a node
     * whose lease rests on another node's promise could read stale data after a partition change.
     */
    @WithDefault("10s")
    Duration prepareTimeout();

    /**
     * How long a write waits for the node to become ready (store open, prepared branches restored,
     * enough peers connected for `min-consensus`) before failing with `NotReadyException`. In quorum mode
     * a write waits at least 2 × `read-lease` + `heartbeat-interval`: long enough for the promises to a
     * peer that just went away to run out, after which it commits without that peer. A read in quorum
     * mode waits this long for the node's read lease.
     */
    @WithDefault("2s")
    Duration readyTimeout();

    /**
     * The role that lets a caller use the admin endpoints (`/level-2pc/admin/...`, on the management interface when
     * `quarkus.management.enabled=true`) when Quarkus Security authenticated it, e.g. with
     * `quarkus.management.auth.basic=true` and a user store. Without such a caller, the cluster secret as a bearer
     * token is the fallback. An authenticated caller without the role is refused (403).
     */
    @WithDefault("level-2pc-admin")
    String adminRole();

    /**
     * What the `level-2pc` readiness check (`/q/health/ready`) requires. `reads` (the default): UP
     * while the node serves reads (its store is open; in quorum mode it holds its read lease), so a
     * load balancer or Kubernetes keeps it in service while a peer is down and writes wait. Whether it
     * takes writes is then the `level-2pc-writes` check, in the health group of the same name
     * (`/q/health/group/level-2pc-writes`). `writes`: readiness also requires that the node takes writes
     * (enough peers for `min-consensus`, its store not failed), as the writes group does.
     */
    @WithDefault("reads")
    ReadinessCriterion readiness();

    /** What the readiness check of a node requires: see {@link Level2pcConfig#readiness()}. */
    enum ReadinessCriterion {
        /** UP while the node serves reads. */
        READS,
        /** UP while the node serves reads and takes writes. */
        WRITES
    }

    /**
     * What a `get` inside a JTA transaction does when the key is held exclusively by another transaction that is
     * prepared on this node (its commit may be on its way). `wait` (the default): wait for that transaction to
     * finish here, as a read outside a transaction does (at most `lock-wait-timeout`), so the transaction reads
     * its outcome and can still commit. `no-wait`: read the last committed value at once; the read is validated
     * when the transaction commits, like every read, so if the holder commits the transaction fails with a
     * conflict, answered without waiting for anyone's locks (nothing stale is ever committed). Measured on the
     * benchmarks page (hot-bank: 10 accounts, 16 clients): `no-wait` halves the time a conflict takes to be
     * answered but commits about a quarter fewer transfers, as more of them conflict.
     */
    @WithDefault("wait")
    TransactionReads transactionReads();

    /** What a read inside a transaction does with a key another prepared transaction holds: see {@link Level2pcConfig#transactionReads()}. */
    enum TransactionReads {
        /** Wait for the holder to finish on this node (at most `lock-wait-timeout`). */
        WAIT,
        /** Read the last committed value at once; the commit validates it. */
        NO_WAIT
    }

    /**
     * Whether a coordinator answers its caller once its commit decision is durable and its own branch
     * committed, letting the peers' commits finish in the background. Safe for linearizability: until a
     * peer applies the commit, the keys stay locked there and its readers wait. The decision is kept in
     * the coordinator's store until every peer acknowledged (and resent by it, or asked for by the
     * peer, after a failure). Saves one peer round trip and one peer sync per commit; `false` waits for
     * every peer's commit.
     */
    @WithDefault("true")
    boolean commitPeersInBackground();

    /**
     * No longer read. Colliding transactions are now ordered by wait-die: a prepare older than the
     * transaction holding its key waits for it (at most `lock-wait-timeout`), a younger one votes NO at once.
     * Kept so that existing configurations still start; it will be removed.
     */
    @Deprecated
    @WithDefault("250ms")
    Duration prepareLockWait();

    /**
     * How often the node looks for branches that stay in doubt (prepared here, no decision received)
     * and resolves them by asking their coordinator. Also Narayana's periodic recovery period (rounded
     * up to whole seconds), unless `RecoveryEnvironmentBean.periodicRecoveryPeriod` is set explicitly.
     */
    @WithDefault("2s")
    Duration recoveryPeriod();

    /**
     * How long a branch may stay prepared on this node without a decision before the node asks its
     * coordinator for the outcome (the callback site) and applies it. Asking is always safe (the
     * coordinator answers "in progress" while it has not decided), so this only trades a few extra
     * calls against how long the keys of a branch orphaned by a crash stay locked.
     */
    @WithDefault("5s")
    Duration inDoubtAfter();

    /**
     * LevelDB's limit of open table files.
     */
    @WithDefault("1000")
    int maxOpenFiles();
}
