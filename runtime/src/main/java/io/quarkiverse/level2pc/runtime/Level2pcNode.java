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
import io.quarkiverse.level2pc.jta.RecoveryResource;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * The node: validates the configuration, opens the store at startup (restoring prepared branches
 * before anything is served), registers the recovery resource with Narayana, fires the lifecycle
 * events, and closes the store at shutdown (also on dev-mode restarts: the LevelDB directory is
 * locked while open).
 */
@Singleton
public class Level2pcNode {

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
    Event<ClusterReady> readyEvent;
    @Inject
    Event<ClusterNotReady> notReadyEvent;

    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile LocalNode node;
    private volatile String failure;
    private TxEnlistment enlistment;
    private XAResourceRecovery recovery;

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
        } catch (java.io.UncheckedIOException e) {
            failure = e.getMessage() + " (quarkus.level-2pc.path=" + config.path()
                    + "; is another process using this directory?)";
            throw new Level2pcException(failure, e);
        } catch (RuntimeException e) {
            failure = e.getMessage();
            throw e;
        }
        enlistment = new TxEnlistment(tm, tsr, () -> node);
        RecoveryResource resource = new RecoveryResource(() -> node);
        recovery = () -> new javax.transaction.xa.XAResource[] { resource };
        recoveryRegistry.addXAResourceRecovery(recovery);
        opened.countDown();
        int inDoubt = node.prepared().size();
        LOG.infof("level-2pc node '%s' ready: store %s, %d prepared branch(es) in doubt", config.nodeName(),
                dataDir.resolve("leveldb").toAbsolutePath(), inDoubt);
        readyEvent.fire(new ClusterReady(config.nodeName(), inDoubt));
    }

    synchronized void stop() {
        LocalNode n = node;
        if (n == null) {
            return;
        }
        notReadyEvent.fire(new ClusterNotReady(config.nodeName(), "shutting down"));
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
        int peers = config.peers().map(List::size).orElse(0);
        if (peers > 0) {
            problems.add("quarkus.level-2pc.peers=" + config.peers().get()
                    + ": replication to peers is not available in this release yet; remove the property to run a single node");
        }
        config.minConsensus().ifPresent(m -> {
            if (m < 0 || m > peers) {
                problems.add("quarkus.level-2pc.min-consensus=" + m + " must be between 0 and the number of peers (" + peers + ")");
            }
        });
        config.clusterSecret().ifPresent(s -> {
            if (s.length() < 16) {
                problems.add("quarkus.level-2pc.cluster-secret is " + s.length() + " characters long; use at least 16");
            }
        });
        if (config.lockWaitTimeout().isNegative() || config.lockWaitTimeout().isZero()) {
            problems.add("quarkus.level-2pc.lock-wait-timeout=" + config.lockWaitTimeout() + " must be positive");
        }
        if (config.prepareTimeout().isNegative() || config.prepareTimeout().isZero()) {
            problems.add("quarkus.level-2pc.prepare-timeout=" + config.prepareTimeout() + " must be positive");
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
