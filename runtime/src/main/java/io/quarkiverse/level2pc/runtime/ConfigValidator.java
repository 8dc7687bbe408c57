package io.quarkiverse.level2pc.runtime;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkiverse.level2pc.runtime.config.Level2pcConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.MemorySize;

/** Checks the run-time configuration once, at startup, and reports every problem at once, each naming its property. */
final class ConfigValidator {

    /** Narayana's limit for node names, in bytes. */
    static final int MAX_NODE_NAME_BYTES = 28;
    static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private ConfigValidator() {
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
        Set<String> seen = new HashSet<>();
        int self = 0;
        for (String p : peerList) {
            String problem = peerProblem(p.trim());
            if (problem != null) {
                problems.add("quarkus.level-2pc.peers contains '" + p + "': " + problem
                        + " (expected a base URL like http://10.0.0.2:8080)");
            } else if (!seen.add(p.trim().replaceAll("/+$", ""))) {
                problems.add("quarkus.level-2pc.peers lists '" + p + "' twice");
            } else if (isSelf(p, name)) {
                self++;
            }
        }
        int peers = peerList.size() - self;
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
                .getOptionalValue("quarkus.http.limits.max-body-size", MemorySize.class)
                .map(MemorySize::asLongValue).orElse(10240L * 1024);
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
        URI u;
        try {
            u = new URI(peer);
        } catch (URISyntaxException e) {
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

    /**
     * Whether the peer address {@code peer} names this very node: its host starts with the node name followed by a
     * dot ({@code http://kv-0.kv-peers:8080} for node {@code kv-0}), as in a list every node of a Kubernetes
     * StatefulSet shares. Such an entry is skipped.
     */
    /**
     * How long a node waits for a peer's answer: {@code prepare-timeout}, but in quorum mode ({@code min-consensus}
     * below the number of peers) at most {@code read-lease}. A prepare that the network holds back for longer than
     * {@code read-lease} could otherwise pass after the promise it was waiting for ran out, across a partition
     * change, and a node leaning on another promise would read stale data (see the quorum page's limits); with
     * the coordinator giving up first, such a prepare's transaction rolls back.
     */
    static java.time.Duration peerCallTimeout(Level2pcConfig config) {
        int peers = (int) config.peers().orElse(List.of()).stream().filter(p -> !isSelf(p, config.nodeName())).count();
        boolean quorum = config.minConsensus().isPresent() && config.minConsensus().getAsInt() < peers;
        return quorum && config.readLease().compareTo(config.prepareTimeout()) < 0 ? config.readLease() : config.prepareTimeout();
    }

    static boolean isSelf(String peer, String nodeName) {
        try {
            String host = URI.create(peer.trim()).getHost();
            return host != null && nodeName != null && !nodeName.isEmpty() && host.startsWith(nodeName + ".");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The peers of a validated configuration, as normalized base addresses ({@code http://host:port}). */
    static List<String> peerAddresses(Level2pcConfig config) {
        List<String> result = new ArrayList<>();
        for (String p : config.peers().orElse(List.of())) {
            if (isSelf(p, config.nodeName())) {
                continue;
            }
            String s = p.trim();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            result.add(URI.create(s).toString());
        }
        return result;
    }

}
