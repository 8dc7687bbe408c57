package io.quarkiverse.level2pc.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The campaign's sorting of heuristic log lines, on the lines a clean-clone CI run logged (2026-12-05, node c,
 * a bank transfer whose coordinator's decision sync failed) plus the extension's own error line.
 */
class HeuristicReportsTest {

    private static final String XID = "< formatId=131077, gtrid_length=29, bqual_length=36, tx_uid=0:ffff7f000001:b15d:6b13827c:7,"
            + " node_name=c, branch_uid=0:ffff7f000001:b15d:6b13827c:8, subordinatenodename=null, eis_name=0 >";
    private static final String BRANCH = "131077:00000000000000000000ffff7f0000010000b15d6b13827c0000000763"
            + ":00000000000000000000ffff7f0000010000b15d6b13827c000000080000000000000000";

    private static final String UNKNOWN_LINE = "2026-12-05 03:18:22,728 ERROR [io.qua.lev.jta.ClusterResource] (executor-thread-2)"
            + " The outcome of JTA transaction " + XID + " is unknown: the outcome of transaction " + BRANCH
            + " is unknown: writing its commit decision failed on node 'c' (injected). Narayana is told XA_HEURHAZ: the"
            + " application gets HeuristicMixedException, and Narayana keeps a heuristic-hazard record";

    private static final String NARAYANA = String.join("\n",
            "2026-12-05 03:18:22,729 WARN  [com.arjuna.ats.jta] (executor-thread-2) ARJUNA016039: onePhaseCommit on " + XID
                    + " (level-2pc cluster resource " + BRANCH + ") failed with exception XAException.XA_HEURHAZ:"
                    + " javax.transaction.xa.XAException",
            "\tat io.quarkiverse.level2pc.jta.ClusterResource.xa(ClusterResource.java:200)",
            "2026-12-05 03:18:22,741 WARN  [com.arjuna.ats.arjuna] (executor-thread-2) ARJUNA012084: One-phase commit of"
                    + " action 0:ffff7f000001:b15d:6b13827c:7 received heuristic decision: TwoPhaseOutcome.HEURISTIC_HAZARD",
            "2026-12-05 03:18:22,750 ERROR [io.qua.ver.htt.run.QuarkusErrorHandler] (executor-thread-2) HTTP Request to"
                    + " /bank/transfer failed, error id: 1-2",
            "Caused by: jakarta.transaction.HeuristicMixedException",
            "Caused by: io.quarkiverse.level2pc.node.OutcomeUnknownException: the outcome of transaction " + BRANCH
                    + " is unknown",
            "2026-12-05 03:18:41,515 WARN  [com.arjuna.ats.arjuna] (Periodic Recovery) Transaction"
                    + " 0:ffff7f000001:b15d:6b13827c:7 has 1 heuristic participant(s)!",
            "2026-12-05 03:18:41,534 WARN  [com.arjuna.ats.arjuna] (Periodic Recovery) Transaction"
                    + " 0:ffff7f000001:b15d:6b13827c:7 restored heuristic participant XAResourceRecord < resource:level-2pc"
                    + " cluster resource (recovered), txid:" + XID + ", heuristic: TwoPhaseOutcome.HEURISTIC_HAZARD");

    @Test
    void narayanasReportsOfATransactionTheExtensionSaidIsOfUnknownOutcomeAreNotAnomalies() {
        List<HeuristicReports.Line> lines = HeuristicReports.of(UNKNOWN_LINE + "\n" + NARAYANA);

        assertThat(lines).hasSize(6);
        assertThat(lines).allSatisfy(l -> assertThat(l.unknownReported()).as(l.text()).isTrue());
    }

    @Test
    void withoutTheExtensionsLineTheSameReportsAreAnomalies() {
        List<HeuristicReports.Line> lines = HeuristicReports.of(NARAYANA);

        assertThat(lines).hasSize(5).noneMatch(HeuristicReports.Line::unknownReported);
    }

    @Test
    void anotherTransactionsHeuristicOrOneNamingNoTransactionStaysAnAnomaly() {
        String other = "2026-12-05 03:19:00,000 WARN  [com.arjuna.ats.arjuna] (Periodic Recovery) Transaction"
                + " 0:ffff7f000001:b15d:6b13827c:9 has 1 heuristic participant(s)!";
        String anonymous = "2026-12-05 03:19:01,000 ERROR [io.qua.ver.htt.run.QuarkusErrorHandler] (executor-thread-1) HTTP"
                + " Request to /bank/transfer failed\nCaused by: jakarta.transaction.HeuristicMixedException";
        String mixed = "2026-12-05 03:19:02,000 WARN  [x] (y) Transaction 0:ffff7f000001:b15d:6b13827c:7 and action"
                + " 0:ffff7f000001:b15d:6b13827c:9 heuristic";
        String operator = "2026-12-05 03:19:03,000 ERROR [io.qua.lev.nod.Heuristics] (z) HEURISTIC DECISION on node 'c':"
                + " branch " + BRANCH + " of coordinator 'c' COMMITTED by an operator";

        List<HeuristicReports.Line> lines = HeuristicReports
                .of(String.join("\n", UNKNOWN_LINE, other, anonymous, mixed, operator));

        assertThat(lines).extracting(HeuristicReports.Line::unknownReported).containsExactly(true, false, false, false, false);
    }

    /**
     * Quorum mode: the extension decides the JTA one-phase commit under a transaction id of its own format ("L2PC",
     * 1278365763), which the application's stack trace names (clean-clone CI run, 2026-12-05 09:27, node c).
     */
    @Test
    void inQuorumModeTheApplicationsStackTraceNamesTheExtensionsOwnIdOfThatTransaction() {
        String xid = XID.replace("b15d:6b13827c:7", "94ff:6b13d8f6:7").replace("b15d:6b13827c:8", "94ff:6b13d8f6:8");
        String own = "1278365763:4c32504349427cb416acc177000000000000000e000000000000000063:01";
        String unknownLine = "2026-12-05 09:27:21,305 ERROR [io.quarkiverse.level2pc.jta.ClusterResource] (executor-thread-1)"
                + " The outcome of JTA transaction " + xid + " is unknown: the outcome of transaction " + own
                + " is unknown: writing its commit decision failed on node 'c'";
        String application = String.join("\n",
                "2026-12-05 09:27:21,372 ERROR [io.quarkus.vertx.http.runtime.QuarkusErrorHandler] (executor-thread-1) HTTP"
                        + " Request to /bank/transfer failed, error id: cfe0e32e-1: io.quarkus.arc.ArcUndeclaredThrowableException",
                "\tat io.quarkiverse.level2pc.it.BankResource.transfer(BankResource.java:69)",
                "Caused by: jakarta.transaction.HeuristicMixedException",
                "\tCaused by: io.quarkiverse.level2pc.node.OutcomeUnknownException: the outcome of transaction " + own
                        + " is unknown: writing its commit decision failed on node 'c'");
        String another = application.replace("000e0000", "000f0000");

        assertThat(HeuristicReports.of(unknownLine + "\n" + application))
                .singleElement().satisfies(l -> assertThat(l.unknownReported()).isTrue());
        assertThat(HeuristicReports.of(application)).singleElement()
                .satisfies(l -> assertThat(l.unknownReported()).as("without the extension's line").isFalse());
        assertThat(HeuristicReports.of(unknownLine + "\n" + another)).singleElement()
                .satisfies(l -> assertThat(l.unknownReported()).as("another transaction").isFalse());
    }

    @Test
    void narayanasTransactionIdMapsOntoTheBranchIdsHex() {
        assertThat(HeuristicReports.gtridHexPrefix("0:ffff7f000001:b15d:6b13827c:7"))
                .isEqualTo("00000000000000000000ffff7f0000010000b15d6b13827c00000007");
        assertThat(BRANCH).startsWith("131077:" + HeuristicReports.gtridHexPrefix("0:ffff7f000001:b15d:6b13827c:7"));
    }
}
