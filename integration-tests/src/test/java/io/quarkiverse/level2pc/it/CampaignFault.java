package io.quarkiverse.level2pc.it;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The faults of {@link FaultCampaignIT}: process kills, a frozen process, network faults on the peer
 * links (every directed link goes through a {@link TcpProxy} of the campaign's {@link NetworkMesh}), and
 * crash points inside the protocol, injected with Byteman into one node. A crash point halts the JVM
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

    /** One node cut off from both others, both directions: open connections closed, new ones refused. */
    NET_ISOLATE("one node cut off from both others", null),
    /** One direction of one link black-holed: connections stay open, calls hang until their timeout. */
    NET_ONE_WAY("one direction of one link black-holed", null),
    /** Two nodes cut from each other (both directions), each still reaching the third: a bridge partition. */
    NET_BRIDGE("a bridge partition: two nodes cut from each other, both reaching the third", null),
    /** One link cut and restored again and again, both directions. */
    NET_FLAP("one link flapping", null),
    /**
     * Every link slow (50 ms plus up to 450 ms of jitter per chunk), lossy (5 % of chunks lost with their
     * connection), and one node's requests delivered twice.
     */
    NET_SLOW_LOSSY("every link delayed 50-500 ms and lossy, one node's requests duplicated", null),

    /** A participant dies before writing its prepare record (the K-th prepare record of the node). */
    PARTICIPANT_BEFORE_PREPARE_RECORD("participant crash before its prepare record",
            rule("participant before its prepare record", "io.quarkiverse.level2pc.storage.NodeStore", "persistPrepare", "ENTRY")),
    /** A participant dies once its prepare record is durable, before it votes. */
    PARTICIPANT_AFTER_PREPARE_RECORD("participant crash after its prepare record",
            rule("participant after its prepare record", "io.quarkiverse.level2pc.core.Participant", "persisted", "ENTRY")),
    /** A node dies before a commit batch (a participant's, or a coordinator's own with its decision). */
    PARTICIPANT_BEFORE_COMMIT_BATCH("participant crash before its commit batch",
            rule("before a commit batch", "io.quarkiverse.level2pc.storage.NodeStore", "commit", "ENTRY")),
    /** A participant dies once its commit batch is durable, before it answers. */
    PARTICIPANT_AFTER_COMMIT_BATCH("participant crash after its commit batch", """
            RULE fault-campaign: participant after its commit batch
            CLASS io.quarkiverse.level2pc.core.Participant
            METHOD finished
            AT ENTRY
            IF $2 == io.quarkiverse.level2pc.core.Outcome.COMMITTED && incrementCounter("fault-campaign-hits") == @K@
            DO @CRASH@
            ENDRULE
            """),
    /** The coordinator dies when every vote is YES, before it writes its decision. */
    COORDINATOR_BEFORE_DECISION("coordinator crash after the votes, before its decision is written",
            rule("coordinator after the votes, before the decision", "io.quarkiverse.level2pc.core.Coordinator", "decide", "ENTRY")),
    /**
     * The coordinator dies inside the LevelDB write that carries its decision (with its own commit): the K-th
     * decision is armed, and the next store write (the group carrying it) halts before LevelDB writes it.
     */
    COORDINATOR_DURING_DECISION_WRITE("coordinator crash inside the write of its decision", """
            RULE fault-campaign: arm the K-th decision
            CLASS io.quarkiverse.level2pc.core.Coordinator
            METHOD decide
            AT ENTRY
            IF incrementCounter("fault-campaign-hits") == @K@
            DO flag("fault-campaign-armed")
            ENDRULE

            RULE fault-campaign: halt inside the store write that carries it
            CLASS io.quarkiverse.level2pc.storage.LevelStore
            METHOD writeBatchUnchecked
            AT INVOKE org.iq80.leveldb.DB.write
            IF flagged("fault-campaign-armed")
            DO @CRASH@
            ENDRULE
            """),
    /** The coordinator dies once its decision is durable, before it sends any commit. */
    COORDINATOR_AFTER_DECISION("coordinator crash after its decision is durable",
            rule("coordinator after the decision", "io.quarkiverse.level2pc.core.Coordinator", "decisionDurable", "ENTRY")),
    /**
     * The coordinator dies in the second phase between two peers' commits: the commit to its last peer of the
     * K-th decided transaction is never sent (held back by a Byteman rule), and the node halts once the other
     * peer acknowledged its commit.
     */
    COORDINATOR_BETWEEN_PEER_COMMITS("coordinator crash between two peers' commits", """
            RULE fault-campaign: arm one transaction at the K-th decision
            CLASS io.quarkiverse.level2pc.core.Coordinator
            METHOD decisionDurable
            AT ENTRY
            IF incrementCounter("fault-campaign-hits") == @K@
            DO flag("fault-campaign-armed-" + java.util.Arrays.toString($1.gtrid().toArray()));
               traceln("[fault-campaign] armed transaction " + java.util.Arrays.toString($1.gtrid().toArray()))
            ENDRULE

            RULE fault-campaign: hold back the last peer's commit of the armed transaction
            CLASS io.quarkiverse.level2pc.transport.PeerClient
            METHOD commit
            AT ENTRY
            IF $1.endsWith(":@SECOND_PEER_PORT@") && flagged("fault-campaign-armed-" + java.util.Arrays.toString($2.gtrid().toArray()))
            DO traceln("[fault-campaign] holding back the commit to " + $1);
               return new java.util.concurrent.CompletableFuture()
            ENDRULE

            RULE fault-campaign: coordinator after the other peer acknowledged
            CLASS io.quarkiverse.level2pc.node.CommitSender
            METHOD acknowledged
            AT ENTRY
            IF flagged("fault-campaign-armed-" + java.util.Arrays.toString($1.toArray()))
            DO @CRASH@
            ENDRULE
            """),

    /**
     * Not a crash: the K-th LevelDB write of the node (a prepare record, a commit batch, a decision) fails
     * with an I/O error, as a failing disk's would. The node must fail stop for writes (readiness DOWN,
     * nothing half-applied); the campaign then restarts it, as an operator would.
     */
    STORE_WRITE_FAILS("a store write failing with an I/O error", """
            RULE fault-campaign: the K-th LevelDB write fails
            CLASS io.quarkiverse.level2pc.storage.LevelStore
            METHOD writeBatchUnchecked
            AT INVOKE org.iq80.leveldb.DB.write
            IF incrementCounter("fault-campaign-hits") == @K@ + 3
            DO traceln("[fault-campaign] failing a store write (hit @K@ + 3)");
               throw new java.io.IOException("injected by the fault campaign: the disk failed this write")
            ENDRULE
            """),

    /**
     * Not a crash: the sync of the K-th synced LevelDB write fails with an I/O error after its record went
     * into the log (LevelDB wrote it through its file channel: the bytes are in the page cache, so a restarted
     * process finds the record). The node cannot know whether the write will survive: it must fail stop for writes and treat
     * what it was writing as of unknown outcome (a decision stays in doubt until the restart reads it back),
     * never as not written; the campaign restarts it.
     */
    STORE_SYNC_FAILS("the sync of a store write failing with an I/O error, after the record went into the log", """
            RULE fault-campaign: the sync of the K-th synced LevelDB write fails
            CLASS org.iq80.leveldb.impl.FileChannelLogWriter
            METHOD addRecord
            AT INVOKE java.nio.channels.FileChannel.force
            IF incrementCounter("fault-campaign-hits") == @K@ + 3
            DO traceln("[fault-campaign] failing the sync of a store write (hit @K@ + 3)");
               throw new java.io.IOException("injected by the fault campaign: the disk failed this sync")
            ENDRULE
            """);

    /** A crash at the K-th {@code at} (ENTRY or EXIT) of {@code <cls>.<method>}. */
    private static String rule(String name, String cls, String method, String at) {
        return "RULE fault-campaign: " + name + "\n"
                + "CLASS " + cls + "\n"
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

    /** A fault of the peer links, set on the campaign's proxies (the processes run on). */
    boolean isNetwork() {
        return name().startsWith("NET_");
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
                .replace("@SECOND_PEER_PORT@", Integer.toString(peers.get(peers.size() - 1).getPort()))
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
