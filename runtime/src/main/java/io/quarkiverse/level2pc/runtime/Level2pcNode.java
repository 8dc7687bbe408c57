package io.quarkiverse.level2pc.runtime;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.jboss.tm.XAResourceRecovery;
import org.jboss.tm.XAResourceRecoveryRegistry;

import com.arjuna.ats.arjuna.common.arjPropertyManager;

import io.quarkiverse.level2pc.ClusterNotReady;
import io.quarkiverse.level2pc.ClusterReady;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.jta.Cluster;
import io.quarkiverse.level2pc.jta.PeerRecoveryResource;
import io.quarkiverse.level2pc.jta.RecoveryResource;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerEndpoint;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * The node: validates the configuration, opens the store at startup (restoring prepared branches
 * before anything is served), watches the peers, registers the recovery resources with Narayana,
 * fires the lifecycle events, and closes the store at shutdown (also on dev-mode restarts: the LevelDB
 * directory is locked while open). The node is ready when its store is open and enough peers answer
 * for {@code min-consensus}.
 */
@Singleton
public class Level2pcNode implements Cluster {

    private static final Logger LOG = Logger.getLogger(Level2pcNode.class);

    /** Narayana's limit for node names, in bytes. */
    public static final int MAX_NODE_NAME_BYTES = 28;
    static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    @Inject
    Level2pcConfig config;
    @Inject
    TransactionManager tm;
    @Inject
    TransactionSynchronizationRegistry tsr;
    @Inject
    XAResourceRecoveryRegistry recoveryRegistry;
    @Inject
    Event<Object> events;
    @Inject
    PeerTransport transport;

    private final CountDownLatch opened = new CountDownLatch(1);
    private final Object readiness = new Object();
    private volatile LocalNode node;
    private volatile String failure;
    private volatile boolean ready;
    private List<java.net.URI> peers = List.of();
    private PeerClient client;
    private PeerMonitor monitor;
    private PeerEndpoint endpoint;
    private TxEnlistment enlistment;
    private XAResourceRecovery recovery;
    private InDoubtResolver resolver;

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        start();
    }

    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) {
        stop();
    }

    synchronized void start() {
        if (node != null) {
            return;
        }
        validate(config, arjPropertyManager.getCoreEnvironmentBean().getNodeIdentifier(),
                ConfigProvider.getConfig().getOptionalValue("quarkus.transaction-manager.node-name", String.class).orElse(null));
        Path dataDir = Path.of(config.path());
        if ("runtime".equals(System.getProperty("org.graalvm.nativeimage.imagecode")) && System.getProperty("leveldb.mmap") == null) {
            // In a native executable iq80's Iq80DBFactory is initialised at run time (see the processor) and reads
            // this property once: plain file channels there, memory-mapped files are not worth the risk.
            System.setProperty("leveldb.mmap", "false");
        }
        try {
            node = LocalNode.open(dataDir.resolve("leveldb"), config.nodeName(), config.sync(), config.maxOpenFiles(),
                    config.lockWaitTimeout());
            node.prepareLockWait(config.prepareLockWait());
        } catch (java.io.UncheckedIOException e) {
            failure = e.getMessage() + " (quarkus.level-2pc.path=" + config.path()
                    + "; is another process using this directory?)";
            throw new Level2pcException(failure, e);
        } catch (RuntimeException e) {
            failure = e.getMessage();
            throw e;
        }
        peers = peerUris(config);
        client = new PeerClient(transport, config.nodeName());
        io.quarkiverse.level2pc.jta.PeerBranchResource.useForRecovery(client);
        io.quarkiverse.level2pc.jta.LocalBranchResource.useForRecovery(this::nodeIfOpen);
        endpoint = new PeerEndpoint(() -> node, config.nodeName(), config.clusterName(), b -> ownOutcome(b).name());
        enlistment = new TxEnlistment(tm, tsr, () -> node, config.nodeName(), this);
        RecoveryResource local = new RecoveryResource(() -> node);
        List<javax.transaction.xa.XAResource> recoverable = new ArrayList<>();
        recoverable.add(local);
        for (java.net.URI peer : peers) {
            recoverable.add(new PeerRecoveryResource(client, peer, this::hasDecision));
        }
        javax.transaction.xa.XAResource[] resources = recoverable.toArray(javax.transaction.xa.XAResource[]::new);
        recovery = () -> resources;
        recoveryRegistry.addXAResourceRecovery(recovery);
        useRecoveryPeriod(config.recoveryPeriod());
        resolver = new InDoubtResolver(node, client, peers, this::peerNamed,
                this::ownOutcome, config.inDoubtAfter());
        resolver.start(config.recoveryPeriod());
        opened.countDown();
        LOG.infof("level-2pc node '%s' opened its store %s, %d prepared branch(es) in doubt, %d peer(s)", config.nodeName(),
                dataDir.resolve("leveldb").toAbsolutePath(), node.prepared().size(), peers.size());
        if (peers.isEmpty()) {
            readinessChanged();
        } else {
            int required = config.minConsensus().orElse(peers.size());
            monitor = new PeerMonitor(peers, client, config.nodeName(), config.clusterName(),
                    required, config.heartbeatInterval(), config.failAfter(),
                    events::fire, this::readinessChanged);
            if (required < peers.size()) {
                startQuorumMode(required);
            }
            monitor.start();
        }
    }

    /** Quorum mode ({@code min-consensus} below the number of peers): leases, promises, catch-up; {@code null} otherwise. */
    private volatile QuorumLease lease;
    private final java.util.concurrent.ExecutorService catchUps = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "level-2pc-catch-up");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.atomic.AtomicBoolean catchingUp = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long lastSweepMillis = System.currentTimeMillis();
    private volatile String lastCatchUpProblem;
    /** How long a tombstone is kept once the node is current (far beyond any prepare's life). */
    static final long TOMBSTONE_RETENTION_MILLIS = java.util.concurrent.TimeUnit.MINUTES.toMillis(10);

    private void startQuorumMode(int required) {
        QuorumLease l = new QuorumLease(config.nodeName(), required, peers.size() + 1, config.readLease(), System::nanoTime);
        lease = l;
        endpoint.quorumMode(l::promised, l::isCurrent);
        node.prepareGuard(l::checkPrepare);
        monitor.quorumMode(() -> l.isCurrent() || System.nanoTime() - catchUpBackoffUntil >= 0, (uri, sent, asked, hello) -> {
            if (asked) {
                l.granted(uri, sent);
            }
            LocalNode n = node;
            if (n != null && n.isOpen()) {
                n.observeClock(hello.clock());
            }
        });
        monitor.onTick(this::quorumTick);
        LOG.infof("level-2pc node '%s' runs in quorum mode: writes commit on this node and at least %d of its %d peers;"
                + " reads need a read lease of %s", config.nodeName(), required, peers.size(), config.readLease());
    }

    /** Every monitor round in quorum mode: start a catch-up if the lease is back, recompute readiness, sweep tombstones. */
    private void quorumTick() {
        QuorumLease l = lease;
        LocalNode n = node;
        if (l == null || n == null || !n.isOpen()) {
            return;
        }
        if (!l.isCurrent() && System.nanoTime() - catchUpBackoffUntil >= 0 && l.leaseHeld() && catchingUp.compareAndSet(false, true)) {
            try {
                catchUps.execute(() -> {
                    try {
                        catchUp(l, n);
                    } finally {
                        catchingUp.set(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                catchingUp.set(false);
            }
        }
        long now = System.currentTimeMillis();
        if (l.readable() && now - lastSweepMillis > 60_000) {
            lastSweepMillis = now;
            int swept = n.store().sweepTombstones(now - TOMBSTONE_RETENTION_MILLIS);
            if (swept > 0) {
                LOG.debugf("Node '%s' removed %d old tombstone(s)", config.nodeName(), swept);
            }
        }
        readinessChanged();
    }

    /**
     * Until then a node that could not catch up neither asks for read leases nor counts as current, so the
     * others stop waiting for it and commit without it (their promises to it run out); then it tries again.
     */
    private volatile long catchUpBackoffUntil = System.nanoTime();

    /**
     * Brings this node up to date from the peers whose grants it holds (at least {@code min-consensus}, so
     * they include a participant of every commit it missed), then marks it current unless its lease lapsed
     * meanwhile. On a failure it backs off (see {@link #catchUpBackoffUntil}) and the monitor tries again.
     */
    private void catchUp(QuorumLease l, LocalNode n) {
        if (!tryCatchUp(l, n) && !l.isCurrent()) {
            l.dropGrants();
            catchUpBackoffUntil = System.nanoTime() + config.readLease().multipliedBy(2).plus(config.heartbeatInterval()).toNanos();
        }
    }

    private boolean tryCatchUp(QuorumLease l, LocalNode n) {
        long epoch = l.epoch();
        List<java.net.URI> sources = l.grantors();
        if (sources.size() < monitor.required()) {
            return true; // the lease ran out before the catch-up started: the monitor starts over
        }
        List<io.quarkiverse.level2pc.storage.Codec.CatchUp> answers = new ArrayList<>();
        try {
            for (java.net.URI s : sources) {
                answers.add(client.catchUp(s));
            }
            String busy = n.applyCatchUp(answers);
            if (busy != null) {
                noteCatchUpProblem("waiting: " + busy);
                return false;
            }
            for (int i = 0; i < sources.size(); i++) {
                if (!answers.get(i).hints().isEmpty()) {
                    try {
                        client.caughtUp(sources.get(i), answers.get(i).hints());
                    } catch (RuntimeException e) {
                        LOG.debugf("Node '%s' could not tell %s it caught up (it will send those hints again): %s",
                                config.nodeName(), sources.get(i), e.getMessage());
                    }
                }
            }
        } catch (RuntimeException e) {
            noteCatchUpProblem(e.getMessage());
            return false;
        }
        if (l.caughtUp(epoch)) {
            lastCatchUpProblem = null;
            LOG.infof("level-2pc node '%s' is current (caught up from %s)", config.nodeName(), sources);
            readinessChanged();
        }
        return true;
    }

    private void noteCatchUpProblem(String problem) {
        if (!java.util.Objects.equals(problem, lastCatchUpProblem)) {
            LOG.warnf("level-2pc node '%s' could not catch up yet: %s", config.nodeName(), problem);
        }
        lastCatchUpProblem = problem;
    }

    /** Whether the node runs in quorum mode ({@code min-consensus} below the number of peers). */
    public boolean isQuorumMode() {
        return lease != null;
    }

    /** Quorum mode's lease state for health data, or {@code null} in full-replication mode. */
    public String quorumState() {
        QuorumLease l = lease;
        return l == null ? null : l.describe() + (lastCatchUpProblem == null ? "" : "; catch-up: " + lastCatchUpProblem);
    }

    /**
     * Narayana's periodic recovery re-reads its period before every wait: after the first (Narayana's own)
     * wait it follows {@code recovery-period}, unless the operator set Narayana's property explicitly.
     */
    private static void useRecoveryPeriod(java.time.Duration period) {
        if (System.getProperty("RecoveryEnvironmentBean.periodicRecoveryPeriod") == null) {
            int seconds = (int) Math.max(1, (period.toMillis() + 999) / 1000);
            com.arjuna.ats.arjuna.common.recoveryPropertyManager.getRecoveryEnvironmentBean().setPeriodicRecoveryPeriod(seconds);
        }
    }

    /** What this node, as coordinator, knows of the transaction of {@code branch} (the callback site). */
    private io.quarkiverse.level2pc.jta.CoordinatorLog.Outcome ownOutcome(io.quarkiverse.level2pc.core.BranchId branch) {
        return io.quarkiverse.level2pc.jta.CoordinatorLog.outcomeOf(branch, config.nodeName(), this::hasDecision);
    }

    /** Whether this node holds its own commit decision for a global transaction id. */
    private boolean hasDecision(io.quarkiverse.level2pc.core.Bytes gtrid) {
        LocalNode n = node;
        return n != null && n.hasDecision(gtrid);
    }

    @Override
    public boolean commitPeersInBackground() {
        return config.commitPeersInBackground();
    }

    /** The base URI of the connected peer called {@code nodeName}, or {@code null}. */
    private java.net.URI peerNamed(String nodeName) {
        PeerMonitor m = monitor;
        if (m == null) {
            return null;
        }
        for (PeerMonitor.PeerStatus p : m.status()) {
            if (nodeName.equals(p.node())) {
                return p.uri();
            }
        }
        return null;
    }

    /** Recomputes readiness and fires ClusterReady / ClusterNotReady on a change. */
    private void readinessChanged() {
        LocalNode n = node;
        Object event = null;
        boolean now;
        synchronized (readiness) {
            // Evaluated under the lock: hellos to different peers finish on different threads, and a stale
            // evaluation applied after a fresh one would leave the node not ready with nothing left to fix it.
            String why = notWritableBecause(n);
            now = why == null;
            if (lease != null) {
                readiness.notifyAll(); // readers wait for the lease, which changes without a readiness change
            }
            if (now != ready) {
                ready = now;
                event = now ? new ClusterReady(config.nodeName(), n.prepared().size()) : new ClusterNotReady(config.nodeName(), why);
                readiness.notifyAll();
            }
        }
        if (event != null) {
            LOG.infof("level-2pc node '%s' is %s", config.nodeName(), now ? "ready" : "not ready: " + ((ClusterNotReady) event).reason());
            events.fire(event);
        }
    }

    /** Why this node cannot coordinate a write now, or {@code null} if it can. */
    private String notWritableBecause(LocalNode n) {
        if (n == null || !n.isOpen()) {
            return "store closed";
        }
        if (monitor == null) {
            return null;
        }
        if (!monitor.isQuorate()) {
            return "not enough peers connected for min-consensus " + monitor.required() + ": " + monitor.describeMissing();
        }
        QuorumLease l = lease;
        if (l == null) {
            return null;
        }
        if (!l.readable()) {
            return "quorum mode: " + l.describe();
        }
        List<String> participants = new ArrayList<>(monitor.usablePeers().values());
        participants.add(config.nodeName());
        List<String> promised = l.promisedOutside(participants);
        if (!promised.isEmpty()) {
            return "quorum mode: waiting until the promises to disconnected nodes " + promised
                    + " run out (quarkus.level-2pc.read-lease) before committing without them; " + monitor.describeMissing();
        }
        return null;
    }

    /** Whether the node takes writes now. */
    public boolean isReady() {
        return ready;
    }

    /** Why the node is not ready, or {@code null} (health data). */
    public String notReadyReason() {
        return notWritableBecause(node);
    }

    @Override
    public List<java.net.URI> peers() {
        return peers;
    }

    @Override
    public PeerClient client() {
        return client;
    }

    private final java.util.concurrent.ExecutorService peerExecutor = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "level-2pc-peer-call");
        t.setDaemon(true);
        return t;
    });

    @Override
    public java.util.concurrent.ExecutorService peerExecutor() {
        return peerExecutor;
    }

    @Override
    public WriteSet awaitWritable() {
        // Quorum mode: a write that meets a peer just gone waits for the promises to it to run out (at most
        // 2 x read-lease after its last heartbeat) rather than failing; ready-timeout bounds it if longer.
        java.time.Duration bound = config.readyTimeout();
        java.time.Duration promises = config.readLease().multipliedBy(2).plus(config.heartbeatInterval());
        if (lease != null && promises.compareTo(bound) > 0) {
            bound = promises;
        }
        java.time.Duration waited = bound;
        awaitCondition(() -> ready, bound, () -> "level-2pc node '" + config.nodeName() + "' is not ready for writes after "
                + (waited.equals(config.readyTimeout()) ? "quarkus.level-2pc.ready-timeout (" + config.readyTimeout() + ")"
                        : waited + " (2 x quarkus.level-2pc.read-lease + heartbeat-interval, longer than ready-timeout)")
                + (monitor == null ? "" : ": " + monitor.connectedCount() + " of " + peers.size()
                        + " peers connected, " + monitor.required() + " needed (min-consensus); " + monitor.describeMissing())
                + (lease == null ? "" : "; " + notReadyReason()));
        QuorumLease l = lease;
        if (l == null) {
            return WriteSet.everyPeer(peers);
        }
        java.util.Map<java.net.URI, String> connected = monitor.usablePeers();
        List<String> names = new ArrayList<>(connected.values());
        names.add(config.nodeName());
        java.util.Collections.sort(names);
        LocalNode n = node;
        return new WriteSet(List.copyOf(connected.keySet()), names, peers.size() + 1 - names.size(), n::nextStamp);
    }

    /**
     * The open node for a read. In quorum mode waits (bounded by {@code ready-timeout}) until the node holds
     * its read lease and is current, else fails with a {@link NotReadyException} (HTTP 503): a node that may
     * have missed a commit never answers a read.
     */
    public LocalNode awaitReadable() {
        LocalNode n = awaitReady();
        QuorumLease l = lease;
        if (l != null && !l.readable()) {
            awaitCondition(l::readable, config.readyTimeout(), () -> "level-2pc node '" + config.nodeName() + "' cannot serve reads after"
                    + " quarkus.level-2pc.ready-timeout (" + config.readyTimeout() + "): " + quorumState()
                    + " (quorum mode: a node reads only while at least min-consensus peers answer its heartbeats,"
                    + " quarkus.level-2pc.read-lease; " + monitor.describeMissing() + ")");
        }
        return n;
    }

    /** Waits on the readiness monitor until {@code condition} holds, bounded by {@code ready-timeout}. */
    private void awaitCondition(java.util.function.BooleanSupplier condition, java.time.Duration bound,
            java.util.function.Supplier<String> failure) {
        long deadline = System.nanoTime() + bound.toNanos();
        synchronized (readiness) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new NotReadyException(failure.get());
                }
                if (lease != null) {
                    left = Math.min(left, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50));
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(readiness, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NotReadyException("interrupted while waiting for the level-2pc node to become ready");
                }
            }
        }
    }

    @Override
    public void reportUnreachable(java.net.URI peer, String why) {
        if (monitor != null) {
            monitor.reportFailure(peer, why);
        }
    }

    /** The peer monitor, or {@code null} for a single node (health checks). */
    public PeerMonitor monitor() {
        return monitor;
    }

    /** The participant side of the peer protocol (for the peer routes). */
    public PeerEndpoint endpoint() {
        awaitReadyOrNull();
        return endpoint;
    }

    private void awaitReadyOrNull() {
        try {
            opened.await(config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The peers of a validated configuration, as normalized base URIs. */
    static List<java.net.URI> peerUris(Level2pcConfig config) {
        List<java.net.URI> result = new ArrayList<>();
        for (String p : config.peers().orElse(List.of())) {
            String s = p.trim();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            result.add(java.net.URI.create(s));
        }
        return result;
    }

    synchronized void stop() {
        LocalNode n = node;
        if (n == null) {
            return;
        }
        if (monitor != null) {
            monitor.close();
        }
        if (resolver != null) {
            resolver.close();
        }
        peerExecutor.shutdown();
        catchUps.shutdownNow();
        synchronized (readiness) {
            ready = false;
            readiness.notifyAll();
        }
        events.fire(new ClusterNotReady(config.nodeName(), "shutting down"));
        if (recovery != null) {
            recoveryRegistry.removeXAResourceRecovery(recovery);
        }
        n.close();
        LOG.infof("level-2pc node '%s' closed its store", config.nodeName());
    }

    /**
     * Checks every property and reports all problems at once, each naming its property.
     *
     * @param narayanaNodeName the node identifier Narayana actually uses
     * @param configuredTmNodeName {@code quarkus.transaction-manager.node-name} as configured
     */
    static void validate(Level2pcConfig config, String narayanaNodeName, String configuredTmNodeName) {
        List<String> problems = new ArrayList<>();
        String name = config.nodeName();
        if (!NODE_NAME.matcher(name).matches()) {
            problems.add("quarkus.level-2pc.node-name='" + name + "' may only contain letters, digits, '.', '_' and '-'");
        } else if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NODE_NAME_BYTES) {
            problems.add("quarkus.level-2pc.node-name='" + name + "' is " + name.getBytes(StandardCharsets.UTF_8).length
                    + " bytes long; Narayana allows at most " + MAX_NODE_NAME_BYTES + " bytes for a node name");
        } else {
            String tm = configuredTmNodeName != null ? configuredTmNodeName : narayanaNodeName;
            if (tm != null && !tm.equals(name)) {
                problems.add("quarkus.transaction-manager.node-name='" + tm + "' differs from quarkus.level-2pc.node-name='" + name
                        + "'; they must be equal (remove quarkus.transaction-manager.node-name: it defaults to the level-2pc node name)");
            }
        }
        if (config.path().isBlank()) {
            problems.add("quarkus.level-2pc.path must not be blank");
        }
        List<String> peerList = config.peers().orElse(List.of());
        int peers = peerList.size();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String p : peerList) {
            String problem = peerProblem(p.trim());
            if (problem != null) {
                problems.add("quarkus.level-2pc.peers contains '" + p + "': " + problem
                        + " (expected a base URL like http://10.0.0.2:8080)");
            } else if (!seen.add(p.trim().replaceAll("/+$", ""))) {
                problems.add("quarkus.level-2pc.peers lists '" + p + "' twice");
            }
        }
        config.minConsensus().ifPresent(m -> {
            int nodes = peers + 1;
            if (m < 0 || m > peers) {
                problems.add("quarkus.level-2pc.min-consensus=" + m + " must be between 0 and the number of peers (" + peers + ")");
            } else if (m < peers && 2 * (m + 1) <= nodes) {
                problems.add("quarkus.level-2pc.min-consensus=" + m + " lets a write commit on " + (m + 1) + " of the " + nodes
                        + " nodes, which is not a majority: both sides of a network partition could commit different writes."
                        + " Set it to at least " + nodes / 2 + " (or remove it: every peer)");
            } else if (m < peers && config.readLease().compareTo(config.heartbeatInterval().multipliedBy(2)) < 0) {
                problems.add("quarkus.level-2pc.read-lease=" + config.readLease() + " must be at least twice"
                        + " quarkus.level-2pc.heartbeat-interval (" + config.heartbeatInterval()
                        + ") in quorum mode (min-consensus below the number of peers): heartbeats renew the lease");
            }
        });
        if (peers > 0 && config.clusterSecret().isEmpty()) {
            problems.add("quarkus.level-2pc.cluster-secret must be set when quarkus.level-2pc.peers is set"
                    + " (the same secret of at least 16 characters on every node; peer calls are authenticated with it)");
        }
        config.clusterSecret().ifPresent(s -> {
            if (s.length() < 16) {
                problems.add("quarkus.level-2pc.cluster-secret is " + s.length() + " characters long; use at least 16");
            }
        });
        if (!NODE_NAME.matcher(config.clusterName()).matches()) {
            problems.add("quarkus.level-2pc.cluster-name='" + config.clusterName()
                    + "' may only contain letters, digits, '.', '_' and '-'");
        }
        if (config.heartbeatInterval().isNegative() || config.heartbeatInterval().isZero()) {
            problems.add("quarkus.level-2pc.heartbeat-interval=" + config.heartbeatInterval() + " must be positive");
        }
        long httpLimit = ConfigProvider.getConfig()
                .getOptionalValue("quarkus.http.limits.max-body-size", io.quarkus.runtime.configuration.MemorySize.class)
                .map(io.quarkus.runtime.configuration.MemorySize::asLongValue).orElse(10240L * 1024);
        if (config.maxMessageSize().asLongValue() > httpLimit) {
            problems.add("quarkus.level-2pc.max-message-size (" + config.maxMessageSize().asLongValue()
                    + " bytes) exceeds quarkus.http.limits.max-body-size (" + httpLimit
                    + " bytes), which Quarkus applies first: raise quarkus.http.limits.max-body-size or lower max-message-size");
        }
        if (config.failAfter() < 1) {
            problems.add("quarkus.level-2pc.fail-after=" + config.failAfter() + " must be at least 1");
        }
        if (config.lockWaitTimeout().isNegative() || config.lockWaitTimeout().isZero()) {
            problems.add("quarkus.level-2pc.lock-wait-timeout=" + config.lockWaitTimeout() + " must be positive");
        }
        if (config.prepareTimeout().isNegative() || config.prepareTimeout().isZero()) {
            problems.add("quarkus.level-2pc.prepare-timeout=" + config.prepareTimeout() + " must be positive");
        }
        if (config.recoveryPeriod().toMillis() < 100) {
            problems.add("quarkus.level-2pc.recovery-period=" + config.recoveryPeriod() + " must be at least 100ms");
        }
        if (config.prepareLockWait().isNegative()) {
            problems.add("quarkus.level-2pc.prepare-lock-wait=" + config.prepareLockWait() + " must not be negative");
        }
        if (config.inDoubtAfter().isNegative()) {
            problems.add("quarkus.level-2pc.in-doubt-after=" + config.inDoubtAfter() + " must not be negative");
        }
        if (config.readyTimeout().isNegative()) {
            problems.add("quarkus.level-2pc.ready-timeout=" + config.readyTimeout() + " must not be negative");
        }
        if (config.maxOpenFiles() < 10) {
            problems.add("quarkus.level-2pc.max-open-files=" + config.maxOpenFiles() + " must be at least 10");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Invalid level-2pc configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** Why {@code peer} is not a usable peer base URL, or {@code null}. */
    static String peerProblem(String peer) {
        java.net.URI u;
        try {
            u = new java.net.URI(peer);
        } catch (java.net.URISyntaxException e) {
            return "not a URL (" + e.getReason() + ")";
        }
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            return "the scheme must be http or https";
        }
        if (u.getHost() == null) {
            return "no host";
        }
        if (u.getPort() < 0) {
            return "no port";
        }
        if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
            return "a peer URL has no path";
        }
        if (u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
            return "a peer URL has no query, fragment or user info";
        }
        return null;
    }

    /** The open node, waiting up to {@code ready-timeout} for startup to finish. */
    public LocalNode awaitReady() {
        LocalNode n = node;
        if (n != null && n.isOpen()) {
            return n;
        }
        try {
            if (!opened.await(config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new NotReadyException("level-2pc node '" + config.nodeName() + "' did not become ready within "
                        + "quarkus.level-2pc.ready-timeout (" + config.readyTimeout() + ")"
                        + (failure == null ? "" : ": " + failure));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted while waiting for the level-2pc node to become ready");
        }
        n = node;
        if (n == null || !n.isOpen()) {
            throw new NotReadyException("level-2pc node '" + config.nodeName() + "' is shut down");
        }
        return n;
    }

    /** The node if open, else {@code null} (health checks). */
    public LocalNode nodeIfOpen() {
        LocalNode n = node;
        return n != null && n.isOpen() ? n : null;
    }

    public TxEnlistment enlistment() {
        awaitReady();
        return enlistment;
    }

    public Level2pcConfig config() {
        return config;
    }

    /** Why startup failed, or {@code null}. */
    public String failure() {
        return failure;
    }
}
