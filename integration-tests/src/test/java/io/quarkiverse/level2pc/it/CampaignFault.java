package io.quarkiverse.level2pc.it;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The faults of {@link FaultCampaignIT}: process kills, a frozen process, and crash points inside the
 * protocol, injected with Byteman into one node. A crash point halts the JVM
 * ({@code Runtime.halt(137)}: no shutdown hook, no flush, no close) at the {@code K}-th time the node
 * reaches it, so that it happens under load. The rules count only on the node that runs the agent.
 */
enum CampaignFault {

    /** {@code kill -9} of one node. */
    KILL_ONE("kill -9 of one node", null),
    /** {@code kill -9} of two nodes at once. */
    KILL_TWO("kill -9 of two nodes", null),
    /** {@code kill -STOP} of one node for 1 to 4 s, then {@code kill -CONT}. */
    PAUSE("SIGSTOP of one node for 1-4 s", null),

    /** A participant (any branch on the node, the local one too) dies before writing its prepare record. */
    PARTICIPANT_BEFORE_PREPARE_RECORD("participant crash before its prepare record", storeRule("participant before its prepare record", "persistPrepare", "ENTRY")),
    /** A participant dies after its prepare record is synced, before it votes. */
    PARTICIPANT_AFTER_PREPARE_RECORD("participant crash after its prepare record", storeRule("participant after its prepare record", "persistPrepare", "EXIT")),
    /** A participant dies in the second phase before its commit batch. */
    PARTICIPANT_BEFORE_COMMIT_BATCH("participant crash before its commit batch", storeRule("participant before its commit batch", "commit", "ENTRY")),
    /** A participant dies after its commit batch is synced, before it answers. */
    PARTICIPANT_AFTER_COMMIT_BATCH("participant crash after its commit batch", storeRule("participant after its commit batch", "commit", "EXIT")),
    /**
     * The coordinator dies when every peer has voted YES (the exit of the last peer branch's prepare),
     * before Narayana writes its decision to its log.
     */
    COORDINATOR_BEFORE_LOG("coordinator crash after the votes, before Narayana's log write", """
            RULE fault-campaign: coordinator after the last peer vote, before the log write
            CLASS io.quarkiverse.level2pc.jta.PeerBranchResource
            METHOD prepare
            AT EXIT
            IF incrementCounter("fault-campaign-votes-" + java.util.Arrays.toString($1.getGlobalTransactionId())) == @PEERS@
               && incrementCounter("fault-campaign-hits") == @K@
            DO @CRASH@
            ENDRULE
            """),
    /** The coordinator dies after Narayana logged its decision: at the start of the local branch's commit. */
    COORDINATOR_AFTER_LOG("coordinator crash after Narayana's log write", """
            RULE fault-campaign: coordinator after the log write
            CLASS io.quarkiverse.level2pc.jta.LocalBranchResource
            METHOD commit
            AT ENTRY
            IF !$2 && incrementCounter("fault-campaign-hits") == @K@
            DO @CRASH@
            ENDRULE
            """),
    /**
     * The coordinator dies in the second phase between two peers' commits: once the first peer branch's
     * commit has returned. The extension sends the peers' commits in parallel (from the local branch's
     * commit), so the commit request to the other peer of that transaction is held back (a Byteman
     * {@code waitFor} in {@code transport.PeerClient.commit}) and is never sent.
     */
    COORDINATOR_BETWEEN_PEER_COMMITS("coordinator crash between two peers' commits", """
            RULE fault-campaign: arm one transaction at the K-th second phase
            CLASS io.quarkiverse.level2pc.jta.LocalBranchResource
            METHOD commit
            AT ENTRY
            IF !$2 && incrementCounter("fault-campaign-hits") == @K@
            DO flag("fault-campaign-armed-" + java.util.Arrays.toString($1.getGlobalTransactionId()));
               traceln("[fault-campaign] armed transaction " + java.util.Arrays.toString($1.getGlobalTransactionId()))
            ENDRULE

            RULE fault-campaign: hold back the second peer's commit of the armed transaction
            CLASS io.quarkiverse.level2pc.transport.PeerClient
            METHOD commit(java.net.URI, io.quarkiverse.level2pc.core.BranchId)
            AT ENTRY
            IF $1.getPort() == @SECOND_PEER_PORT@
               && flagged("fault-campaign-armed-" + java.util.Arrays.toString($2.gtrid().toArray()))
            DO traceln("[fault-campaign] holding back the commit to " + $1);
               waitFor("fault-campaign-never", 60000)
            ENDRULE

            RULE fault-campaign: coordinator after the first peer's commit
            CLASS io.quarkiverse.level2pc.jta.PeerBranchResource
            METHOD commit
            AT EXIT
            IF flagged("fault-campaign-armed-" + java.util.Arrays.toString($1.getGlobalTransactionId()))
            DO @CRASH@
            ENDRULE
            """),
    /**
     * The coordinator dies while Narayana rewrites its log record of a decided transaction. At the
     * K-th second phase the commit to the node's first peer fails once, as if the peer were
     * unreachable (the peer stays prepared). Narayana then keeps the transaction for recovery and
     * rewrites its record: the JVM halts inside {@code ShadowingStore.write_state} for that
     * transaction, between opening the record file and writing it. If Narayana does not rewrite it
     * (the commit reached every branch by then, or the peers are committed in the background), the
     * JVM halts when Narayana's second phase of that transaction ends. Uses Narayana's internals
     * (7.3.3), not names of this project.
     */
    COORDINATOR_DURING_LOG_REWRITE("coordinator crash while Narayana rewrites its log after a peer's failed commit", """
            RULE fault-campaign: arm one transaction at the K-th second phase
            CLASS io.quarkiverse.level2pc.jta.LocalBranchResource
            METHOD commit
            AT ENTRY
            IF !$2 && incrementCounter("fault-campaign-hits") == @K@
            DO flag("fault-campaign-fail-" + java.util.Arrays.toString($1.getGlobalTransactionId()));
               flag("fault-campaign-uid-" + java.util.Arrays.toString(java.util.Arrays.copyOf($1.getGlobalTransactionId(), 28)));
               traceln("[fault-campaign] armed transaction " + java.util.Arrays.toString($1.getGlobalTransactionId()))
            ENDRULE

            RULE fault-campaign: the first peer's commit of the armed transaction fails once
            CLASS io.quarkiverse.level2pc.transport.PeerClient
            METHOD commit(java.net.URI, io.quarkiverse.level2pc.core.BranchId)
            AT ENTRY
            IF $1.getPort() == @FIRST_PEER_PORT@
               && clear("fault-campaign-fail-" + java.util.Arrays.toString($2.gtrid().toArray()))
            DO traceln("[fault-campaign] failing the commit to " + $1.toString());
               throw new io.quarkiverse.level2pc.PeerUnavailableException("peer " + $1.toString() + " is unreachable (commit): injected by the fault campaign")
            ENDRULE

            RULE fault-campaign: coordinator crash while Narayana rewrites the record
            CLASS com.arjuna.ats.internal.arjuna.objectstore.ShadowingStore
            METHOD write_state
            AT INVOKE java.io.FileOutputStream.write
            IF flagged("fault-campaign-uid-" + java.util.Arrays.toString($1.getBytes()))
            DO traceln("[fault-campaign] halting in the rewrite of " + $1.toString());
               @CRASH@
            ENDRULE

            RULE fault-campaign: coordinator crash at the end of the second phase (no rewrite)
            CLASS com.arjuna.ats.arjuna.coordinator.BasicAction
            METHOD phase2Commit
            AT EXIT
            IF flagged("fault-campaign-uid-" + java.util.Arrays.toString($0.get_uid().getBytes()))
            DO traceln("[fault-campaign] halting after the second phase of " + $0.get_uid().toString() + " (no rewrite)");
               @CRASH@
            ENDRULE
            """);

    /** A crash at the K-th {@code at} (ENTRY or EXIT) of {@code LevelStore.<method>}, on any branch of the node. */
    private static String storeRule(String name, String method, String at) {
        return "RULE fault-campaign: " + name + "\n"
                + "CLASS io.quarkiverse.level2pc.storage.LevelStore\n"
                + "METHOD " + method + "\n"
                + "AT " + at + "\n"
                + "IF incrementCounter(\"fault-campaign-hits\") == @K@\n"
                + "DO @CRASH@\n"
                + "ENDRULE\n";
    }

    /** What the node prints just before it halts; the test looks for it in the node's log. */
    static final String CRASH_MARK = "[fault-campaign] crash point";

    final String description;
    private final String rules;

    CampaignFault(String description, String rules) {
        this.description = description;
        this.rules = rules;
    }

    boolean isCrashPoint() {
        return rules != null;
    }

    /**
     * The Byteman script for this crash point on a node whose peers are {@code peers} (in its
     * configuration order, which is the order in which its transactions enlist and commit them),
     * firing at hit {@code k}.
     */
    String script(int k, List<URI> peers) {
        String crash = "traceln(\"" + CRASH_MARK + " " + name() + " reached (hit " + k + "), halting\"); "
                + "Runtime.getRuntime().halt(137)";
        return rules.replace("@K@", Integer.toString(k))
                .replace("@PEERS@", Integer.toString(peers.size()))
                .replace("@SECOND_PEER_PORT@", Integer.toString(peers.get(peers.size() - 1).getPort()))
                .replace("@FIRST_PEER_PORT@", Integer.toString(peers.get(0).getPort()))
                .replace("@CRASH@", crash);
    }

    /** The agent jar of the {@code org.jboss.byteman:byteman} test dependency. */
    static Path bytemanJar() {
        try {
            return Path.of(org.jboss.byteman.agent.Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JVM option that loads {@code script} into a node (agent on the boot class path, so every class loader sees it). */
    static String agentOption(Path script) {
        Path jar = bytemanJar();
        return "-javaagent:" + jar + "=script:" + script + ",boot:" + jar;
    }
}
