package io.quarkiverse.level2pc.jta;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.runtime.LocalNode;
import io.quarkiverse.level2pc.storage.Codec;
import io.quarkiverse.level2pc.transport.PeerClient;

/**
 * Sends one transaction's peer calls in parallel, so that each phase costs one round trip however
 * many peers there are. Narayana drives the branches one after the other on the transaction's thread;
 * the first call of a phase (the local branch comes first) starts that phase's requests to every peer,
 * and each peer branch then only waits for its own answer. The XA calls themselves stay on the
 * transaction's thread: only the HTTP requests run on the executor.
 *
 * <p>
 * Safety of starting a phase early: prepares may go out before the local vote is known; if the
 * transaction then rolls back, Narayana calls rollback on every peer branch, and a rollback first
 * waits for that peer's prepare to finish, so it can never overtake it and leave a prepared branch
 * behind. Commits start only when Narayana commits the local branch, i.e. after its decision is logged.
 */
final class PeerFanout {

    private static final class Slot {
        BranchId branch;
        CompletableFuture<LocalNode.Vote> prepare;
        CompletableFuture<LocalNode.Completion> commit;
        CompletableFuture<LocalNode.Completion> rollback;
    }

    private final PeerClient client;
    private final ExecutorService executor;
    private final boolean background;
    private final Map<URI, Slot> slots = new LinkedHashMap<>();
    private boolean decisionRecorded;

    PeerFanout(PeerClient client, ExecutorService executor, boolean background) {
        this.client = client;
        this.executor = executor;
        this.background = background;
    }

    /**
     * The commit decision to record with the local branch's commit, naming every peer branch that was
     * prepared. Recorded whether or not the caller waits for the peers: with it, a peer whose commit
     * fails is this node's to finish (resent by its resolver, or asked for by the peer), so Narayana
     * never has to keep and rewrite its log for it (a crash during that in-place rewrite leaves an
     * empty record that Narayana's recovery reads as "no decision", i.e. presumed abort).
     */
    synchronized Codec.Decision decision(io.quarkiverse.level2pc.core.Bytes gtrid) {
        Map<String, BranchId> peers = new java.util.HashMap<>();
        slots.forEach((uri, s) -> {
            if (s.prepare != null) {
                peers.put(uri.toString(), s.branch);
            }
        });
        return new Codec.Decision(gtrid, peers);
    }

    /**
     * The decision is durable on this node: the peer branches return at once from now on, and each
     * peer's acknowledged commit is passed to {@code acknowledged} (a failed one is left to the node's
     * resolver, which sends it again).
     */
    synchronized void decisionRecorded(java.util.function.Consumer<URI> acknowledged) {
        decisionRecorded = true;
        slots.forEach((uri, s) -> {
            if (s.commit != null) {
                BranchId id = s.branch;
                s.commit.whenComplete((c, failure) -> {
                    Runnable done = () -> {
                        if (failure == null) {
                            acknowledged.accept(uri);
                        } else {
                            org.jboss.logging.Logger.getLogger(PeerFanout.class).warnf(
                                    "Commit of %s on peer %s failed (%s); this node resends it (its decision is kept)", id, uri,
                                    failure.getCause() != null ? failure.getCause().getMessage() : failure.getMessage());
                        }
                    };
                    // Acknowledging writes to the store: never on a transport's event loop.
                    if (io.vertx.core.Context.isOnEventLoopThread()) {
                        executor.execute(done);
                    } else {
                        done.run();
                    }
                });
            }
        });
    }

    /** Whether the commit decision is recorded durably on this node (so the peers' commits are its own). */
    synchronized boolean decisionRecorded() {
        return decisionRecorded;
    }

    /** Whether the caller is answered without waiting for the peers' commits. */
    boolean inBackground() {
        return background;
    }

    synchronized void bind(URI peer, BranchId branch) {
        Slot s = slots.computeIfAbsent(peer, p -> new Slot());
        if (s.branch != null && !s.branch.equals(branch)) {
            throw new IllegalStateException("peer " + peer + " bound to " + s.branch + " and again to " + branch);
        }
        s.branch = branch;
    }

    /** Starts the prepare of every bound peer branch that has not started yet. */
    synchronized void startPrepares(Supplier<TxWork> work) {
        TxWork w = null;
        for (Map.Entry<URI, Slot> e : slots.entrySet()) {
            Slot s = e.getValue();
            if (s.branch != null && s.prepare == null) {
                if (w == null) {
                    w = work.get();
                }
                URI peer = e.getKey();
                BranchId id = s.branch;
                TxWork finalWork = w;
                s.prepare = client.prepareAsync(peer, id, finalWork, executor);
            }
        }
    }

    /** The vote of {@code peer}, starting every prepare if none has started yet. */
    LocalNode.Vote awaitPrepare(URI peer, Supplier<TxWork> work) {
        startPrepares(work);
        return join(slot(peer).prepare);
    }

    /** Starts the second-phase commit of every peer branch whose prepare was sent. */
    synchronized void startCommits() {
        for (Map.Entry<URI, Slot> e : slots.entrySet()) {
            Slot s = e.getValue();
            if (s.prepare != null && s.commit == null) {
                URI peer = e.getKey();
                BranchId id = s.branch;
                s.commit = client.commitAsync(peer, id, executor);
            }
        }
    }

    LocalNode.Completion awaitCommit(URI peer) {
        startCommits();
        CompletableFuture<LocalNode.Completion> f;
        BranchId id;
        synchronized (this) {
            f = slot(peer).commit;
            id = slot(peer).branch;
        }
        // No prepare was sent through this transaction (cannot happen with Narayana): commit directly.
        return f == null ? client.commit(peer, id) : join(f);
    }

    /**
     * Starts the rollback of every peer branch, each after its prepare (if one was sent) has finished,
     * so a rollback never overtakes its prepare. Branches never prepared need no rollback.
     */
    synchronized void startRollbacks() {
        for (Map.Entry<URI, Slot> e : slots.entrySet()) {
            Slot s = e.getValue();
            if (s.prepare != null && s.rollback == null) {
                URI peer = e.getKey();
                BranchId id = s.branch;
                s.rollback = s.prepare.handle((vote, failure) -> null)
                        .thenCompose(ignored -> client.rollbackAsync(peer, id, executor));
            }
        }
    }

    /** The rollback of {@code peer}'s branch; {@code null} if its prepare was never sent. */
    LocalNode.Completion awaitRollback(URI peer) {
        startRollbacks();
        CompletableFuture<LocalNode.Completion> f;
        synchronized (this) {
            f = slot(peer).rollback;
        }
        return f == null ? null : join(f);
    }

    /** A one-phase commit is sent on its own: it only happens when every other branch voted read-only. */
    LocalNode.Completion commitOnePhase(URI peer, BranchId id, TxWork work) {
        return client.commitOnePhase(peer, id, work);
    }

    private synchronized Slot slot(URI peer) {
        Slot s = slots.get(peer);
        if (s == null) {
            throw new IllegalStateException("peer " + peer + " is not part of this transaction");
        }
        return s;
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
