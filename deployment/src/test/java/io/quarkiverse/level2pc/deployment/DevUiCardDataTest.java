package io.quarkiverse.level2pc.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.ReplicatedDB;
import io.quarkiverse.level2pc.runtime.Level2pcNode;
import io.quarkiverse.level2pc.runtime.devui.Level2pcJsonRpcService;
import io.quarkiverse.level2pc.runtime.devui.Level2pcJsonRpcService.KeyEntry;
import io.quarkiverse.level2pc.runtime.devui.Level2pcJsonRpcService.KeyPage;
import io.quarkus.test.QuarkusUnitTest;

/**
 * The data of the Dev UI card, as its JSON-RPC methods give it to the page: the node's state and figures, the
 * databases, a key browser that pages through a prefix in key order, and the branches in doubt (none here; a
 * decision on an unknown branch is refused).
 */
public class DevUiCardDataTest {

    @RegisterExtension
    static final QuarkusUnitTest TEST = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(TestSupport.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.level-2pc.node-name", "dev-node")
            .overrideConfigKey("quarkus.level-2pc.path", TestSupport.freshDataDir(DevUiCardDataTest.class));

    @Inject
    Level2pcNode node;
    @Inject
    @Any
    Instance<ReplicatedDB> databases;
    @Inject
    ReplicatedDB db;
    @Inject
    @Database("orders")
    ReplicatedDB orders;

    private Level2pcJsonRpcService service() {
        return new Level2pcJsonRpcService(node, databases);
    }

    @Test
    void theNodeAndItsFigures() {
        long before = service().node().committed();
        db.put("figure", "1");
        db.put("figure", "2");
        // the figures are counted as each transaction ends, which may be just after its caller was answered
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> service().node().committed() == before + 2);
        Level2pcJsonRpcService.NodeView n = service().node();
        assertThat(n.node()).isEqualTo("dev-node");
        assertThat(n.state()).isEqualTo("ready");
        assertThat(n.readable()).isTrue();
        assertThat(n.peers()).isEmpty();
        assertThat(n.inDoubt()).isZero();
        assertThat(n.committed()).isEqualTo(before + 2);
        assertThat(n.storeWrites()).isPositive();
        assertThat(service().peersLabel()).isEqualTo("alone");
        assertThat(service().inDoubt()).isEmpty();
    }

    @Test
    void theDatabasesAndAKeyBrowserThatPages() {
        orders.put("o", "x");
        db.batch(b -> {
            for (int i = 0; i < 7; i++) {
                b.put("browse:" + i, "value " + i);
            }
        });
        assertThat(service().databases()).contains(Database.DEFAULT_NAME, "orders");
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        while (true) {
            KeyPage page = service().keys(Database.DEFAULT_NAME, "browse:", after, 3);
            pages++;
            page.entries().forEach(e -> seen.add(e.key()));
            if (!page.more()) {
                break;
            }
            after = page.entries().get(page.entries().size() - 1).key();
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly("browse:0", "browse:1", "browse:2", "browse:3", "browse:4", "browse:5", "browse:6");
        KeyEntry first = service().keys(Database.DEFAULT_NAME, "browse:", null, 1).entries().get(0);
        assertThat(first.value()).isEqualTo("value 0");
        assertThat(first.version()).isEqualTo(db.getVersioned("browse:0").version());
        assertThat(service().keys("orders", "", null, 10).entries()).extracting(KeyEntry::key).containsExactly("o");
        assertThatThrownBy(() -> service().keys("nope", "", null, 10)).hasMessageContaining("no database 'nope'");
    }

    @Test
    void aDecisionOnABranchThatIsNotInDoubtIsRefused() {
        assertThatThrownBy(() -> service().decide("not-a-branch", true)).isInstanceOf(IllegalArgumentException.class);
    }
}
