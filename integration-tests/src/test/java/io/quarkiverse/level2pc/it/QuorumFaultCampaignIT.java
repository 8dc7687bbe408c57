package io.quarkiverse.level2pc.it;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fault campaign of {@link FaultCampaignIT} in quorum mode ({@code min-consensus=1} of 2 peers, read
 * lease 1 s): writes commit without a dead, frozen or crashed node, which must catch up before it reads
 * or takes part again. Same checks, same faults, same options ({@code -Dcampaign.seed}, {@code
 * -Dcampaign.rounds}, ...). Short run: {@value #QUORUM_SHORT_ROUNDS} rounds. Long run, e.g.:
 *
 * <pre>
 * ./mvnw -B -pl integration-tests -am verify -Dit.test=QuorumFaultCampaignIT -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dcampaign.rounds=50 -Dcampaign.seed=1234
 * </pre>
 */
class QuorumFaultCampaignIT extends FaultCampaignIT {

    static final int QUORUM_SHORT_ROUNDS = SHORT_ROUNDS; // one per fault kind

    @Override
    Map<String, String> campaignNodeProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("quarkus.level-2pc.min-consensus", "1");
        p.put("quarkus.level-2pc.read-lease", "1s");
        p.putAll(NODE_PROPERTIES); // -Dcampaign.node.<property> still wins
        return p;
    }

    @Override
    int shortRounds() {
        return QUORUM_SHORT_ROUNDS;
    }

    @Override
    String label() {
        return "quorum-campaign";
    }
}
