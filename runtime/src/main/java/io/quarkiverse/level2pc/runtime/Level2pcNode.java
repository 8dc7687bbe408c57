package io.quarkiverse.level2pc.runtime;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import javax.transaction.xa.XAResource;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.Instance;
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
import com.arjuna.ats.arjuna.common.recoveryPropertyManager;

import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.Level2pcException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.jta.Cluster;
import io.quarkiverse.level2pc.jta.NarayanaLog;
import io.quarkiverse.level2pc.jta.RecoveryResource;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.Scheduler;
import io.quarkiverse.level2pc.node.Telemetry;
import io.quarkiverse.level2pc.node.Tracing;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkiverse.level2pc.storage.LevelStore;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.quarkiverse.level2pc.transport.Membership;
import io.quarkiverse.level2pc.transport.PeerClient;
import io.quarkiverse.level2pc.transport.PeerEndpoint;
import io.quarkiverse.level2pc.transport.PeerTransport;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;

/**
 * The node's lifecycle in the application: validates the configuration, opens the store at startup
 * (restoring prepared branches and decisions before anything is served) and assembles the node
 * ({@link NodeAssembly}), registers the recovery resource with Narayana, and closes everything at shutdown
 * (also on dev-mode restarts: the LevelDB directory is locked while open). The JTA glue reaches the node
 * through it ({@link Cluster}).
 */
@Singleton
public class Level2pcNode implements Cluster {

    private static final Logger LOG = Logger.getLogger(Level2pcNode.class);
    /** How often a write waiting for the node to become writable looks again. */
    private static final long POLL_MILLIS = 50;

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
    @Inject
    BeanManager beans;
    /** The OpenTelemetry adapter, a bean only when the application has quarkus-opentelemetry. */
    @Inject
    Instance<Tracing> tracingBeans;

    /** Completed with the node once startup opened it (blocking and non-blocking callers wait on it). */
    private final CompletableFuture<Node> openedAsync = new CompletableFuture<>();
    private volatile Node node;
    private volatile String failure;
    private List<String> peers = List.of();
    private volatile PeerEndpoint endpoint;
    private volatile TxEnlistment enlistment;
    private XAResourceRecovery recovery;
    private Scheduler.SystemScheduler scheduler;
    /** Runs peer calls for transports that cannot send without blocking (the default one can). */
    private final ExecutorService peerExecutor = Executors.newCachedThreadPool(daemon("level-2pc-peer-call"));
    /** Lifecycle events are fired here, in order, never on an event loop (observers may block). */
    private final ExecutorService eventExecutor = Executors.newSingleThreadExecutor(daemon("level-2pc-events"));
    private ChangeFeed changeFeed;
    /** What the node reports, forwarded to the metrics binder once one is installed. */
    private final ForwardingTelemetry telemetry = new ForwardingTelemetry();

    /** Reports transactions and peer calls to {@code t} (the Micrometer binder), from now on. */
    public void telemetry(Telemetry t) {
        telemetry.target = t;
    }

    /** Transactions this node coordinated since it started: committed, conflicts, other failures (the Dev UI's figures). */
    public long[] transactionCounts() {
        return new long[] { telemetry.committed.sum(), telemetry.conflicts.sum(), telemetry.failed.sum() };
    }

    private static final class ForwardingTelemetry implements Telemetry {
        volatile Telemetry target = Telemetry.NONE;
        final LongAdder committed = new LongAdder();
        final LongAdder conflicts = new LongAdder();
        final LongAdder failed = new LongAdder();

        @Override
        public void transactionEnded(Throwable failure, long nanos, int peers) {
            (failure == null ? committed : failure instanceof ConflictException ? conflicts : failed).increment();
            target.transactionEnded(failure, nanos, peers);
        }

        @Override
        public void peerCall(String peer, String operation, long nanos, Throwable failure) {
            target.peerCall(peer, operation, nanos, failure);
        }
    }

    @PostConstruct
    void init() {
        changeFeed = new ChangeFeed(events.select(Change.class), beans);
    }

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        ConflictLogFilter.install();
        start();
    }

    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) {
        stop();
    }

    synchronized void start() {
        if (node != null) {
            return;
        }
        ConfigValidator.validate(config, arjPropertyManager.getCoreEnvironmentBean().getNodeIdentifier(),
                ConfigProvider.getConfig().getOptionalValue("quarkus.transaction-manager.node-name", String.class).orElse(null));
        Path dataDir = Path.of(config.path()).resolve("leveldb");
        peers = ConfigValidator.peerAddresses(config);
        scheduler = (Scheduler.SystemScheduler) Scheduler.system("level-2pc-timer");
        PeerClient client = new PeerClient(transport, config.nodeName(), peerExecutor, scheduler,
                ConfigValidator.peerCallTimeout(config));
        PeerEndpoint served = new PeerEndpoint(() -> node, config.nodeName(), config.clusterName());
        // Only members get in, from the first request on; a request whose sender had to be asked about goes on to a
        // blocking operation on the peer-call threads, never on the event loop the answer came on.
        served.members(new Membership(config.nodeName(), peers, client, scheduler::nanoTime, config.heartbeatInterval()),
                peerExecutor);
        endpoint = served;
        // Before the node is assembled: a ClusterReady observer may use the database as soon as it is (the
        // event is fired on its own thread, possibly before this method returns).
        enlistment = new TxEnlistment(tm, tsr, config.nodeName(), this);
        NarayanaLog narayana = new NarayanaLog(config.nodeName());
        try {
            NodeStore store = new NodeStore(LevelStore.open(dataDir, config.sync(), config.maxOpenFiles()));
            store.onApplied(changeFeed);
            endpoint.tracing(tracing());
            client.telemetry(telemetry);
            client.tracing(tracing());
            node = NodeAssembly.assemble(settings(), store, client, endpoint,
                    scheduler, new SecureRandom(), narayana::outcomeOf, e -> eventExecutor.execute(() -> {
                        events.fire(e);
                        events.fireAsync(e);
                    }));
        } catch (UncheckedIOException e) {
            failure = e.getMessage() + " (quarkus.level-2pc.path=" + config.path() + "; is another process using this directory?)";
            throw new Level2pcException(failure, e);
        } catch (RuntimeException e) {
            failure = e.getMessage();
            throw e;
        }
        node.coordinator().telemetry(telemetry);
        node.coordinator().tracing(tracing());
        RecoveryResource resource = new RecoveryResource(this, narayana);
        recovery = () -> new XAResource[] { resource };
        recoveryRegistry.addXAResourceRecovery(recovery);
        useRecoveryPeriod(config.recoveryPeriod());
        openedAsync.complete(node);
        LOG.infof("level-2pc node '%s' opened its store %s, %d prepared branch(es) in doubt, %d peer(s)", config.nodeName(),
                dataDir.toAbsolutePath(), node.local().prepared().size(), peers.size());
    }

    /** The OpenTelemetry adapter when the application traces (its SDK on), else {@link Tracing#NONE}. */
    private Tracing tracing() {
        return tracingBeans.isResolvable() && tracingBeans.get().active() ? tracingBeans.get() : Tracing.NONE;
    }

    private NodeAssembly.Settings settings() {
        return new NodeAssembly.Settings(config.nodeName(), config.clusterName(), peers, config.minConsensus().orElse(peers.size()),
                config.lockWaitTimeout(), config.readLease(), config.heartbeatInterval(), config.failAfter(), config.inDoubtAfter(),
                config.recoveryPeriod(), config.readyTimeout(), !config.commitPeersInBackground(),
                // A catch-up page stays well below the bound of a peer answer (max-message-size), which the asker enforces.
                Math.max(1, config.maxMessageSize().asLongValue() / 4));
    }

    /**
     * Narayana's periodic recovery re-reads its period before every wait: after the first (Narayana's own)
     * wait it follows {@code recovery-period}, unless the operator set Narayana's property explicitly.
     */
    private static void useRecoveryPeriod(Duration period) {
        if (System.getProperty("RecoveryEnvironmentBean.periodicRecoveryPeriod") == null) {
            int seconds = (int) Math.max(1, (period.toMillis() + 999) / 1000);
            recoveryPropertyManager.getRecoveryEnvironmentBean().setPeriodicRecoveryPeriod(seconds);
        }
    }

    synchronized void stop() {
        Node n = node;
        if (n == null) {
            return;
        }
        n.readiness().shutDown();
        if (recovery != null) {
            recoveryRegistry.removeXAResourceRecovery(recovery);
        }
        n.close();
        changeFeed.close();
        scheduler.close();
        peerExecutor.shutdown();
        eventExecutor.shutdown();
        try {
            eventExecutor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.infof("level-2pc node '%s' closed its store", config.nodeName());
    }

    // ---- what the glue needs ----------------------------------------------------------------

    /** The changes of internal keys {@code [from, to)} this node applies from the subscription on (see {@link ChangeFeed}). */
    Multi<Change> changes(Bytes from, Bytes to) {
        return changeFeed.subscribe(from, to);
    }

    /**
     * The node once it is open, without blocking: completes at once if it is, else when startup opens it, or
     * fails with {@link NotReadyException} after {@code ready-timeout}.
     */
    public CompletableFuture<Node> openAsync() {
        Node n = nodeIfOpen();
        if (n != null) {
            return CompletableFuture.completedFuture(n);
        }
        CompletableFuture<Node> result = new CompletableFuture<>();
        openedAsync.whenComplete((o, e) -> {
            if (e == null) {
                result.complete(o);
            } else {
                result.completeExceptionally(e);
            }
        });
        CompletableFuture.delayedExecutor(config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> result.completeExceptionally(notOpenInTime()));
        return result;
    }

    private NotReadyException notOpenInTime() {
        return new NotReadyException("level-2pc node '" + config.nodeName() + "' did not become ready within "
                + "quarkus.level-2pc.ready-timeout (" + config.readyTimeout() + ")" + (failure == null ? "" : ": " + failure));
    }

    /** The transaction enlistment once startup created it, without waiting ({@code null} before). */
    public TxEnlistment enlistmentIfStarted() {
        return enlistment;
    }

    @Override
    public Node awaitOpen() {
        Node n = node;
        if (n != null && n.isOpen()) {
            return n;
        }
        try {
            openedAsync.get(config.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            throw notOpenInTime();
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

    @Override
    public List<String> peers() {
        return peers;
    }

    @Override
    public void awaitWritable() {
        Node n = awaitOpen();
        long deadline = System.nanoTime() + n.readiness().writeBound().toNanos();
        while (true) {
            try {
                n.readiness().writeSet();
                return;
            } catch (NotReadyException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                try {
                    Thread.sleep(POLL_MILLIS); // readiness changes with heartbeats and leases, polled like them
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public Duration retryBound() {
        return config.lockWaitTimeout();
    }

    /**
     * The open node for a read. In quorum mode waits (bounded by {@code ready-timeout}) until the node holds
     * its read lease and is current, else fails with a {@link NotReadyException} (HTTP 503): a node that may
     * have missed a commit never answers a read.
     */
    public Node awaitReadable() {
        Node n = awaitOpen();
        Futures.join(n.readiness().awaitReadable());
        return n;
    }

    /**
     * The participant side of the peer protocol (for the peer routes), {@code null} before startup; it answers
     * 503 until the node is open. Never waits: the routes call it on an event loop.
     */
    public PeerEndpoint endpoint() {
        return endpoint;
    }

    /** The node if open, else {@code null} (health checks, admin endpoints). */
    public Node nodeIfOpen() {
        Node n = node;
        return n != null && n.isOpen() ? n : null;
    }

    public TxEnlistment enlistment() {
        awaitOpen();
        return enlistment;
    }

    public Level2pcConfig config() {
        return config;
    }

    /** Why startup failed, or {@code null}. */
    public String failure() {
        return failure;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
