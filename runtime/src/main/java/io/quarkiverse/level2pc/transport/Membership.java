package io.quarkiverse.level2pc.transport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.time.Duration;

import io.quarkiverse.level2pc.node.Futures;

/**
 * Who may send peer requests to this node: its members, the nodes its configured peers
 * ({@code quarkus.level-2pc.peers}, addresses) answer hellos as. A node knows its peers by address only and
 * learns their names from hello answers ({@link PeerClient}), so a sender whose name is not (yet) known is
 * decided by asking every peer its name (a name query: a hello that is answered to any holder of the cluster
 * secret, and changes nothing on the receiver, so that two nodes asking each other never wait for each other):
 * <ul>
 * <li>this node's own name: refused (403);
 * <li>a name a peer answered with: admitted at once;
 * <li>otherwise a round of name queries to every peer (one round at a time: the senders that arrive meanwhile
 * share it): admitted as soon as a peer answers with the sender's name; refused (403) once every peer answered
 * with another name; 503 (retryable) if some peer did not answer, since that peer may be the sender under a
 * name this node does not know yet (a node renamed at the same address, or one that just started).
 * </ul>
 * A refused name is refused again at once for {@code remember} (a non-member that keeps calling costs one round
 * per {@code remember}, not one per request). Never blocks: the answers arrive on the transport's threads.
 */
public final class Membership {

    /** A refusal that arrived with an answer ({@code null} in the future: admitted). */
    private static final CompletableFuture<PeerResponse> ADMITTED = CompletableFuture.completedFuture(null);
    /** At most this many refused names are remembered (only holders of the cluster secret can make up names). */
    private static final int MAX_REMEMBERED = 1024;

    private final String self;
    private final List<String> peers;
    private final PeerClient client;
    private final LongSupplier nanos;
    private final long rememberNanos;
    /** Guarded by this. */
    private Round round;
    /** Names a complete round refused, with when. Guarded by this. */
    private final Map<String, Long> refused = new HashMap<>();

    /**
     * @param peers the configured peers' addresses, as {@code client} is called with them
     * @param remember how long a refused name is refused without asking the peers again
     */
    public Membership(String self, List<String> peers, PeerClient client, LongSupplier nanos, Duration remember) {
        this.self = self;
        this.peers = List.copyOf(peers);
        this.client = client;
        this.nanos = nanos;
        this.rememberNanos = remember.toNanos();
    }

    /** Whether {@code sender} is a member by the names known now (no call). */
    public boolean isMember(String sender) {
        if (sender.equals(self)) {
            return false;
        }
        for (String p : peers) {
            if (sender.equals(client.nameOf(p))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Decides whether {@code sender} may send requests to this node.
     *
     * @return a future of {@code null} if it may, else of the refusal to answer (403 not a member, 503 undecided);
     *         complete at once unless peers must be asked
     */
    public CompletableFuture<PeerResponse> admit(String sender) {
        if (sender.equals(self)) {
            return CompletableFuture.completedFuture(PeerResponse.error(403, "not a member", "the request claims to come from node '"
                    + sender + "', which is this node's own name: node names must be unique (quarkus.level-2pc.node-name)"));
        }
        if (isMember(sender)) {
            return ADMITTED;
        }
        if (peers.isEmpty()) {
            return CompletableFuture.completedFuture(notAMember(sender));
        }
        Round r;
        boolean start = false;
        CompletableFuture<PeerResponse> verdict = new CompletableFuture<>();
        synchronized (this) {
            Long at = refused.get(sender);
            if (at != null && nanos.getAsLong() - at < rememberNanos) {
                return CompletableFuture.completedFuture(notAMember(sender));
            }
            if (round == null) {
                round = new Round();
                start = true;
            }
            r = round;
            r.waiting.add(new Waiter(sender, verdict));
        }
        if (start) {
            r.start();
        }
        return verdict;
    }

    private PeerResponse notAMember(String sender) {
        List<String> known = new ArrayList<>();
        for (String p : peers) {
            String name = client.nameOf(p);
            known.add(p + (name == null ? "" : " ('" + name + "')"));
        }
        return PeerResponse.error(403, "not a member", "node '" + sender + "' is not among the peers of node '" + self
                + "' (quarkus.level-2pc.peers: " + (known.isEmpty() ? "none" : String.join(", ", known))
                + "): list it there on every node to let it take part");
    }

    private record Waiter(String sender, CompletableFuture<PeerResponse> verdict) {
    }

    /** One name query to every peer, and the senders waiting for it. */
    private final class Round {
        final List<Waiter> waiting = new ArrayList<>();
        /** Why each peer did not answer (address to reason). Guarded by Membership.this. */
        final Map<String, String> silent = new LinkedHashMap<>();
        int pending = peers.size();

        void start() {
            for (String p : peers) {
                CompletableFuture<?> asked;
                try {
                    asked = client.askName(p);
                } catch (RuntimeException e) {
                    asked = CompletableFuture.failedFuture(e);
                }
                asked.whenComplete((hello, failure) -> answered(p, failure));
            }
        }

        private void answered(String peer, Throwable failure) {
            Map<Waiter, PeerResponse> decided = new LinkedHashMap<>();
            synchronized (Membership.this) {
                pending--;
                if (failure != null) {
                    silent.put(peer, String.valueOf(Futures.unwrap(failure).getMessage()));
                }
                for (Waiter w : waiting) {
                    if (isMember(w.sender())) {
                        decided.put(w, null);
                    } else if (pending == 0) {
                        decided.put(w, silent.isEmpty() ? notAMember(w.sender()) : undecided(w.sender()));
                        if (silent.isEmpty()) {
                            remember(w.sender());
                        }
                    }
                }
                waiting.removeAll(decided.keySet());
                if (pending == 0) {
                    round = null;
                }
            }
            decided.forEach((w, refusal) -> w.verdict().complete(refusal));
        }

        private PeerResponse undecided(String sender) {
            List<String> parts = new ArrayList<>();
            silent.forEach((p, why) -> parts.add(p + " (" + why + ")"));
            return PeerResponse.error(503, "unknown sender", "node '" + self + "' cannot tell yet whether node '" + sender
                    + "' is among its peers (quarkus.level-2pc.peers): it could not ask " + String.join(", ", parts)
                    + " for its name; retry");
        }
    }

    /** Guarded by this. */
    private void remember(String sender) {
        if (refused.size() >= MAX_REMEMBERED) {
            refused.clear();
        }
        refused.put(sender, nanos.getAsLong());
    }
}
