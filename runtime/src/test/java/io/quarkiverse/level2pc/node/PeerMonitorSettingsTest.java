package io.quarkiverse.level2pc.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxWork;

/**
 * Settings every node of a cluster must share are compared in every hello: a peer that says another
 * {@code min-consensus}, or (in quorum mode) another {@code read-lease}, is refused with both values and
 * the property named; a peer that says the same, or nothing (an older node), connects.
 */
class PeerMonitorSettingsTest {

    static final String PEER = "http://127.0.0.1:1";

    @Test
    void aPeerWithAnotherMinConsensusIsRefusedNamingBothValues() {
        PeerMonitor m = monitor(1, 3000, new PeerLink.Hello("b", "c1", 3, 0, true, 2, -1));
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.REFUSED);
        assertThat(m.status().get(0).lastError()).contains("quarkus.level-2pc.min-consensus=2").contains("this node with 1")
                .contains("same value");
        assertThat(m.isQuorate()).isFalse();
    }

    @Test
    void inQuorumModeAPeerWithAnotherReadLeaseIsRefusedNamingBothValues() {
        PeerMonitor m = monitor(1, 3000, new PeerLink.Hello("b", "c1", 3, 0, true, 1, 5000));
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.REFUSED);
        assertThat(m.status().get(0).lastError()).contains("quarkus.level-2pc.read-lease=PT5S").contains("this node with PT3S");
    }

    @Test
    void aPeerWithTheSameSettingsOrSayingNoneConnects() {
        assertThat(monitor(1, 3000, new PeerLink.Hello("b", "c1", 3, 0, true, 1, 3000)).status().get(0).state())
                .isEqualTo(PeerMonitor.State.CONNECTED);
        assertThat(monitor(1, 3000, new PeerLink.Hello("b", "c1", 3, 0, true)).status().get(0).state())
                .as("an older node, which does not say its settings").isEqualTo(PeerMonitor.State.CONNECTED);
        assertThat(monitor(1, -1, new PeerLink.Hello("b", "c1", 3, 0, true, 1, -1)).status().get(0).state())
                .as("full mode on both").isEqualTo(PeerMonitor.State.CONNECTED);
    }

    /**
     * A hello from a peer this node is backing off from (it was unreachable) makes this node call it at the
     * next round (a quarter heartbeat), not at the end of its back-off.
     */
    @Test
    void aHelloFromAPeerInBackOffEndsTheBackOff() {
        ManualScheduler scheduler = new ManualScheduler();
        Answering link = new Answering(new PeerLink.Hello("b", "c1", 3, 0, true, 1, 3000));
        PeerMonitor m = monitor(scheduler, link, 1, 3000);
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.CONNECTED);

        link.answer = null; // b goes away: its next hellos fail, and this node backs off (2 s, then 4 s, ...)
        scheduler.advance(Duration.ofSeconds(4));
        assertThat(m.status().get(0).state()).isNotEqualTo(PeerMonitor.State.CONNECTED);
        int calls = link.calls;
        scheduler.advance(Duration.ofMillis(500));
        assertThat(link.calls).as("no call during the back-off").isEqualTo(calls);

        link.answer = new PeerLink.Hello("b", "c1", 3, 0, true, 1, 3000); // b is back and says hello
        m.heardFrom("b");
        scheduler.advance(Duration.ofMillis(300));
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.CONNECTED);
        assertThat(m.isQuorate()).isTrue();
    }

    /**
     * A peer that never answered this node's hellos (its name is unknown to the monitor) is known by the name the link
     * learned for its address (a name query): its hello ends the back-off too.
     */
    @Test
    void aHelloFromAPeerThatNeverConnectedEndsTheBackOffByTheNameLearnedForItsAddress() {
        ManualScheduler scheduler = new ManualScheduler();
        Answering link = new Answering(null);
        PeerMonitor m = monitor(scheduler, link, 1, 3000);
        scheduler.advance(Duration.ofSeconds(4));
        assertThat(m.status().get(0).node()).isNull();
        int calls = link.calls;
        m.heardFrom("b");
        scheduler.advance(Duration.ofMillis(300));
        assertThat(link.calls).as("its name is not known yet: the back-off goes on").isEqualTo(calls);

        link.name = "b";
        link.answer = new PeerLink.Hello("b", "c1", 3, 0, true, 1, 3000);
        m.heardFrom("b");
        scheduler.advance(Duration.ofMillis(300));
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.CONNECTED);
    }

    /**
     * Every node in every write: a connected peer that says hello every heartbeat proves itself alive, and this
     * node says its own hello only every {@value PeerMonitor#OWN_HELLO_EVERY} heartbeats; a peer that goes quiet
     * gets this node's hello every heartbeat again. Quorum mode keeps every hello (they renew the read leases).
     */
    @Test
    void connectedPeersShareHeartbeatsExceptInQuorumMode() {
        assertThat(ownHellosIn20Heartbeats(false, true)).as("the peer says hello every heartbeat").isBetween(4, 6);
        assertThat(ownHellosIn20Heartbeats(false, false)).as("the peer is quiet").isBetween(19, 21);
        assertThat(ownHellosIn20Heartbeats(true, true)).as("quorum mode").isBetween(19, 21);
    }

    private static int ownHellosIn20Heartbeats(boolean quorum, boolean peerSaysHello) {
        ManualScheduler scheduler = new ManualScheduler();
        Answering link = new Answering(new PeerLink.Hello("b", "c1", 3, 0, true, 1, quorum ? 3000 : -1));
        PeerMonitor m = new PeerMonitor(List.of(PEER), link, "a", "c1", 3, 1, Duration.ofSeconds(1), 5, e -> {
        }, () -> {
        }, scheduler);
        m.expectReadLease(quorum ? 3000 : -1);
        if (quorum) {
            m.quorumMode(() -> false, (peer, sent, asked, hello) -> {
            });
        }
        m.start();
        scheduler.advance(Duration.ofMillis(10));
        assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.CONNECTED);
        int before = link.calls;
        for (int i = 0; i < 20; i++) {
            if (peerSaysHello) {
                m.heardFrom("b");
            }
            scheduler.advance(Duration.ofMillis(1000));
            assertThat(m.status().get(0).state()).isEqualTo(PeerMonitor.State.CONNECTED);
        }
        return link.calls - before;
    }

    private static PeerMonitor monitor(int minConsensus, long readLeaseMillis, PeerLink.Hello answer) {
        return monitor(new ManualScheduler(), new Answering(answer), minConsensus, readLeaseMillis);
    }

    private static PeerMonitor monitor(ManualScheduler scheduler, Answering link, int minConsensus, long readLeaseMillis) {
        List<Object> events = new ArrayList<>();
        PeerMonitor m = new PeerMonitor(List.of(PEER), link, "a", "c1", 3, minConsensus, Duration.ofSeconds(1), 5,
                events::add, () -> {
                }, scheduler);
        m.expectReadLease(readLeaseMillis);
        m.start();
        scheduler.advance(Duration.ofMillis(10));
        return m;
    }

    /** Answers every hello with {@code answer} (none: unreachable); nothing else is called by the monitor. */
    private static final class Answering implements PeerLink {
        volatile PeerLink.Hello answer;
        volatile int calls;
        volatile String name;

        @Override
        public String nameOf(String peer) {
            return name;
        }

        Answering(PeerLink.Hello answer) {
            this.answer = answer;
        }

        @Override
        public CompletableFuture<Hello> hello(String peer, boolean askLease) {
            calls++;
            Hello a = answer;
            return a != null ? CompletableFuture.completedFuture(a)
                    : CompletableFuture.failedFuture(new io.quarkiverse.level2pc.PeerUnavailableException("peer " + peer
                            + " is unreachable (hello): connection refused"));
        }

        @Override
        public CompletableFuture<Vote> prepare(String peer, BranchId id, TxWork work) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Completion> commit(String peer, BranchId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Completion> rollback(String peer, BranchId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Outcome> outcome(String peer, BranchId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Outcome> branchState(String peer, Bytes gtrid) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<CatchUp> catchUp(String peer) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> caughtUp(String peer, List<Bytes> gtrids) {
            throw new UnsupportedOperationException();
        }
    }
}
