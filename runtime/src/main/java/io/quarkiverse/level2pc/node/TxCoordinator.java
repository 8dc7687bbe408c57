package io.quarkiverse.level2pc.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.ConflictException;
import io.quarkiverse.level2pc.NotReadyException;
import io.quarkiverse.level2pc.PeerUnavailableException;
import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.Coordinator;
import io.quarkiverse.level2pc.core.Decision;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.TxIds;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * Runs the transactions this node coordinates: drives the pure {@link Coordinator} over the local
 * participant ({@link LocalNode}) and the peers ({@link PeerLink}). A transaction's course:
 *
 * <ol>
 * <li>the local branch is validated and locked, without a prepare record;</li>
 * <li>every peer is sent its prepare at once (one round trip however many peers); each syncs its prepare
 * record, then votes;</li>
 * <li>all YES: the local branch's writes and the commit decision (the peers still to commit) are written in
 * ONE synced batch: from then on the transaction is committed, and the caller is answered (or, with
 * {@code waitForPeerCommits}, once every peer acknowledged);</li>
 * <li>the peers are sent their commits; each acknowledgement shrinks the decision, which is deleted when
 * none is left. A peer that cannot be reached is sent its commit again by the in-doubt resolver, or asks
 * for the outcome itself.</li>
 * </ol>
 *
 * A NO vote or a failure before the decision rolls every branch back; a coordinator that crashes before its
 * decision is durable has nothing on disk for the transaction, so the peers that ask are told "rolled back"
 * (presumed abort). That one synced write on the coordinator replaces a transaction log: it is the decision.
 *
 * <p>
 * The same machinery is the branch of an external transaction manager's two-phase commit
 * ({@link #prepareExternal}): then the local branch has a prepare record and the decision is the manager's.
 */
public final class TxCoordinator {

    private static final Logger LOG = Logger.getLogger(TxCoordinator.class);

    private final String nodeName;
    private final LocalNode local;
    private final PeerLink link;
    private final Scheduler scheduler;
    private final NodeStore store;
    private final TxIds ids;
    private final Random random;
    private final boolean waitForPeerCommits;
    private final Function<BranchId, Outcome> externalLog;
    private final BiConsumer<String, String> onUnreachable;
    private final Coordinator core = new Coordinator();
    private final CommitSender commits;
    private volatile Telemetry telemetry = Telemetry.NONE;
    private volatile Tracing tracing = Tracing.NONE;

    /**
     * @param externalLog what an external transaction manager knows of one of its own transactions that
     *        this node prepared (its log), for the callback site
     * @param onUnreachable told of a peer a transaction's call could not reach (peer address, why)
     */
    public TxCoordinator(LocalNode local, PeerLink link, Scheduler scheduler, TxIds ids, Random random,
            boolean waitForPeerCommits, Function<BranchId, Outcome> externalLog, BiConsumer<String, String> onUnreachable) {
        this.nodeName = local.nodeName();
        this.local = local;
        this.link = link;
        this.scheduler = scheduler;
        this.store = local.store();
        this.ids = ids;
        this.random = random;
        this.waitForPeerCommits = waitForPeerCommits;
        this.externalLog = externalLog;
        this.onUnreachable = onUnreachable;
        List<Decision> found = store.loadDecisions();
        synchronized (core) {
            core.restore(found);
        }
        this.commits = new CommitSender(nodeName, core, link, scheduler, store, onUnreachable, () -> tracing);
        commits.restored(found);
    }

    // ---- transactions decided here ----------------------------------------------------------

    /** {@link #run(TxWork, Supplier, Duration, Duration)} with one bound for both waits. */
    public CompletableFuture<Void> run(TxWork work, Supplier<WriteSet> writeSets, Duration bound) {
        return run(work, writeSets, bound, bound);
    }

    /**
     * Commits {@code work} on this node and the peers of a write set, retrying for up to {@code retryBound} what
     * a retry can fix: a transaction that read nothing (blind) after any conflict; a prepare refused until a
     * promise to a departed node ran out (quorum mode); a peer that could not be reached or is catching up
     * (quorum mode: the next write set leaves it out). Every attempt is a transaction of its own (a new id),
     * with the priority of the first, so that a transaction that keeps losing grows older and eventually
     * wins. {@code writeSets} says who takes part now, or throws {@link NotReadyException} while this node may
     * not write: that wait alone is bounded by {@code readyBound} (then its exception is the answer).
     */
    public CompletableFuture<Void> run(TxWork work, Supplier<WriteSet> writeSets, Duration readyBound, Duration retryBound) {
        long priority = work.priority() == 0 ? scheduler.currentTimeMillis() : work.priority();
        TxWork first = work.withPriority(priority);
        return start(p -> CompletableFuture.completedFuture(first), false, priority, writeSets, readyBound, retryBound)
                .thenApply(committed -> null);
    }

    /**
     * Like {@link #run}, for work that depends on what it read (a conditional write): {@code derive} reads the
     * current data and gives the work to commit, with the priority it is passed, or {@code null} when there is
     * nothing to commit (the condition does not hold). It is called again for every attempt, so a conflict is
     * retried like a blind write's: the next attempt reads again. Completes with {@code true} once committed,
     * {@code false} when {@code derive} gave {@code null}.
     */
    public CompletableFuture<Boolean> runDerived(LongFunction<CompletableFuture<TxWork>> derive, Supplier<WriteSet> writeSets,
            Duration readyBound, Duration retryBound) {
        return start(derive, true, scheduler.currentTimeMillis(), writeSets, readyBound, retryBound);
    }

    private CompletableFuture<Boolean> start(LongFunction<CompletableFuture<TxWork>> source, boolean rederived, long priority,
            Supplier<WriteSet> writeSets, Duration readyBound, Duration retryBound) {
        RetryingRun r = new RetryingRun(this, scheduler, random, source, rederived, priority, writeSets,
                scheduler.nanoTime() + Math.max(readyBound.toNanos(), retryBound.toNanos()), readyBound.toNanos());
        r.attempt();
        return r.result;
    }

    /** Where the transactions coordinated here are reported (metrics); {@link Telemetry#NONE} by default. */
    public void telemetry(Telemetry t) {
        this.telemetry = t;
    }

    /** Where the spans of the transactions coordinated here go; {@link Tracing#NONE} by default. */
    public void tracing(Tracing t) {
        this.tracing = t;
    }

    Tracing tracing() {
        return tracing;
    }

    /** A new id for an attempt (one per transaction this node decides itself). */
    BranchId nextId() {
        return ids.next();
    }

    /** The local node (attempts in quorum mode take a fresh stamp from its clock). */
    LocalNode local() {
        return local;
    }

    /**
     * One attempt: commits {@code work} as transaction {@code id} on this node and {@code peers}. Completes
     * once the decision is durable (or every peer acknowledged, with {@code waitForPeerCommits}); exceptionally
     * with the first refusal or failure, after every branch was rolled back.
     */
    public CompletableFuture<Void> commit(BranchId id, TxWork work, List<String> peers) {
        return commit(id, work, peers, Tracing.Span.NONE);
    }

    /** {@link #commit(BranchId, TxWork, List)} within the traced operation {@code parent} (a retried write). */
    CompletableFuture<Void> commit(BranchId id, TxWork work, List<String> peers, Tracing.Span parent) {
        Attempt a = new Attempt(id, work, peers.size(), false, parent);
        long start = scheduler.nanoTime();
        a.committed.whenComplete((v, e) -> {
            Throwable failure = e == null ? null : Futures.unwrap(e);
            a.span.end(failure);
            telemetry.transactionEnded(failure, scheduler.nanoTime() - start, peers.size());
        });
        synchronized (core) {
            core.begin(id, peers, false);
        }
        local.lockLocally(id, work, peers.isEmpty()).whenComplete((v, failure) -> {
            if (failure != null) {
                a.carryOut(refused(id, null, false, failure));
                return;
            }
            a.sendPrepares(peers);
            a.carryOut(next(() -> core.localLocked(id.gtrid())));
        });
        return a.committed;
    }

    // ---- transactions decided by an external transaction manager ----------------------------

    /**
     * Phase one of an external transaction manager's branch {@code xid}: the local branch is prepared with a
     * record, and so is every peer's. Completes with YES once all are durable; exceptionally (every branch
     * rolled back) otherwise.
     */
    public CompletableFuture<Void> prepareExternal(BranchId xid, TxWork work, List<String> peers) {
        Attempt a = new Attempt(xid, work, peers.size(), true, Tracing.Span.NONE);
        if (a.span != Tracing.Span.NONE) {
            a.committed.whenComplete((v, e) -> a.span.end(e == null ? null : Futures.unwrap(e)));
        }
        synchronized (core) {
            core.begin(xid, peers, true);
        }
        local.prepare(xid, work).whenComplete((vote, failure) -> {
            if (failure != null) {
                a.carryOut(refused(xid, null, false, failure));
                return;
            }
            a.sendPrepares(peers);
            a.carryOut(next(() -> core.localLocked(xid.gtrid())));
        });
        return a.prepared;
    }

    /**
     * The manager decided to commit {@code xid}: the decision is written with the local commit, then the
     * peers commit. For a branch left from before a restart (recovery), every peer in {@code peers} is sent
     * the commit: those that never prepared it answer "unknown", which counts as done.
     */
    public CompletableFuture<Void> commitExternal(BranchId xid, List<String> peers) {
        Attempt a = attempts.get(xid.gtrid());
        if (a != null) {
            a.carryOut(next(() -> core.commitRequested(xid.gtrid())));
            return a.committed;
        }
        Map<String, BranchId> all = new LinkedHashMap<>();
        peers.forEach(p -> all.put(p, xid));
        Decision decision = new Decision(xid.gtrid(), all);
        return local.commitLocally(xid, decision).thenAccept(c -> {
            boolean recorded;
            synchronized (core) {
                recorded = c == Completion.DONE && !decision.isSettled() && !core.hasDecision(xid.gtrid());
                if (recorded) {
                    core.restore(List.of(decision));
                    commits.decided(xid.gtrid());
                }
            }
            if (recorded) {
                commits.send(xid, decision.peers().keySet(), null, Tracing.Span.NONE);
            }
        });
    }

    /** The manager rolled {@code xid} back (or recovery presumed abort): every branch is rolled back. */
    public CompletableFuture<Void> rollbackExternal(BranchId xid, List<String> peers) {
        Attempt a = attempts.get(xid.gtrid());
        if (a != null) {
            Coordinator.Next n = next(() -> core.abortRequested(xid.gtrid(), new ConflictException("rolled back by the transaction manager")));
            if (n instanceof Coordinator.Ignore i && i.phase() != Coordinator.Phase.ROLLING_BACK) {
                return CompletableFuture.failedFuture(new IllegalStateException("transaction " + xid + " is already " + i.phase()));
            }
            a.carryOut(n);
            return a.rolledBack;
        }
        List<CompletableFuture<?>> all = new ArrayList<>();
        all.add(local.rollback(xid));
        for (String p : peers) {
            all.add(link.rollback(p, xid));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    // ---- the callback site, decisions -----------------------------------------------------------

    /**
     * What this node, as coordinator, knows of the transaction of {@code branch}: running here, decided here,
     * else for a transaction of its own format presumed abort, for an external manager's its log; for a
     * transaction of another coordinator, {@link Outcome#UNKNOWN}.
     */
    public Outcome outcomeOf(BranchId branch) {
        Outcome o;
        synchronized (core) {
            o = core.outcomeOf(branch.gtrid());
        }
        if (o != Outcome.UNKNOWN) {
            return o;
        }
        if (!nodeName.equals(TxIds.coordinatorIn(branch.gtrid()))) {
            return Outcome.UNKNOWN;
        }
        return branch.formatId() == TxIds.FORMAT_ID ? Outcome.ROLLED_BACK : externalLog.apply(branch);
    }

    /** Whether this node keeps a commit decision for {@code gtrid} (some peer has not acknowledged it). */
    public boolean hasDecision(Bytes gtrid) {
        synchronized (core) {
            return core.hasDecision(gtrid);
        }
    }

    /**
     * Sends again the commits of every decision kept for at least {@code ageNanos} (a peer was down, or this
     * node restarted).
     */
    public void resendCommits(long ageNanos) {
        commits.resend(ageNanos);
    }

    /** How many decisions wait for acknowledgements, and how many transactions run (health data, tests). */
    public int pendingDecisions() {
        synchronized (core) {
            return core.decisions().size();
        }
    }

    // ---- one transaction's course -----------------------------------------------------------

    /** Externally decided transactions between their prepare and the manager's decision. */
    private final Map<Bytes, Attempt> attempts = new ConcurrentHashMap<>();

    private Coordinator.Next next(Supplier<Coordinator.Next> step) {
        synchronized (core) {
            return step.get();
        }
    }

    private Coordinator.Next refused(BranchId id, String peer, boolean mayHavePrepared, Throwable failure) {
        return next(() -> core.refused(id.gtrid(), peer, mayHavePrepared, Futures.unwrap(failure)));
    }

    /** The calls and futures of one transaction coordinated here. */
    private final class Attempt {
        final BranchId id;
        final TxWork work;
        final Map<String, CompletableFuture<Vote>> prepares = new LinkedHashMap<>();
        final CompletableFuture<Void> prepared = new CompletableFuture<>();
        final CompletableFuture<Void> committed = new CompletableFuture<>();
        final CompletableFuture<Void> rolledBack = new CompletableFuture<>();
        /** The transaction's span: a child of the caller's trace context; the parent of the calls to peers. */
        final Tracing.Span span;

        Attempt(BranchId id, TxWork work, int peers, boolean external, Tracing.Span parent) {
            this.id = id;
            this.work = work;
            this.span = tracing.transaction(parent, id, peers, external);
            if (external) {
                attempts.put(id.gtrid(), this);
                // An external manager learns a failed phase one from `prepared`; `committed` fails along with it.
                committed.exceptionally(e -> null);
            }
        }

        void sendPrepares(List<String> peers) {
            synchronized (this) {
                for (String p : peers) {
                    prepares.put(p, link.prepare(p, id, work, span));
                }
            }
            prepares.forEach((peer, f) -> f.whenComplete((vote, failure) -> {
                if (failure == null) {
                    carryOut(next(() -> core.voted(id.gtrid(), peer, vote == Vote.READ_ONLY)));
                } else {
                    Throwable cause = Futures.unwrap(failure);
                    boolean noVote = cause instanceof ConflictException || cause instanceof NotReadyException;
                    if (cause instanceof PeerUnavailableException) {
                        onUnreachable.accept(peer, cause.getMessage());
                    }
                    carryOut(refused(id, peer, !noVote, cause));
                }
            }));
        }

        void carryOut(Coordinator.Next n) {
            if (n instanceof Coordinator.Commit c) {
                writeDecision(c.decision());
            } else if (n instanceof Coordinator.Abort a) {
                rollBack(a.peers(), Futures.asRuntime((Throwable) a.cause()));
            } else if (n instanceof Coordinator.Prepared) {
                prepared.complete(null);
            }
        }

        private void writeDecision(Decision decision) {
            local.commitLocally(id, decision).whenComplete((c, failure) -> {
                if (failure != null) {
                    // The local node is now fail-stop for writes; the decision may or may not be on disk: the
                    // transaction stays in doubt (outcome IN_PROGRESS) until this node restarts and reads it.
                    LOG.errorf("Node '%s' could not write its commit decision of %s: %s. Its outcome is known again once the"
                            + " node restarts", nodeName, id, Futures.unwrap(failure).getMessage());
                    committed.completeExceptionally(new OutcomeUnknownException("the outcome of transaction " + id
                            + " is unknown: writing its commit decision failed on node '" + nodeName + "' ("
                            + Futures.unwrap(failure).getMessage() + "); it is known again once the node restarts",
                            Futures.unwrap(failure)));
                    return;
                }
                Collection<String> peers;
                synchronized (core) {
                    peers = core.decisionDurable(decision);
                }
                if (!peers.isEmpty()) {
                    commits.decided(id.gtrid());
                }
                attempts.remove(id.gtrid());
                if (!waitForPeerCommits || peers.isEmpty()) {
                    committed.complete(null);
                    commits.send(id, peers, null, span);
                } else {
                    commits.send(id, peers, committed, span);
                }
            });
        }

        /**
         * Releases the local branch and rolls back the peers' branches, each once its prepare answered or failed
         * (never overtaking it). The caller learns the failure as soon as the local branch is released: the
         * abort is decided and nothing of it can commit (presumed abort), and the peers' rollbacks go on in the
         * background, so a conflict is answered without waiting for another round trip and sync. A retry
         * coordinated here that meets one of those branches still prepared on a peer waits for its rollback
         * there instead of dying ({@link io.quarkiverse.level2pc.core.Participant}: a holder of the same
         * coordinator). The transaction is forgotten once all are done.
         */
        private void rollBack(List<String> peers, RuntimeException cause) {
            List<CompletableFuture<?>> all = new ArrayList<>();
            CompletableFuture<?> localDone = local.rollback(id);
            all.add(localDone);
            for (String p : peers) {
                CompletableFuture<Vote> prepare;
                synchronized (this) {
                    prepare = prepares.get(p);
                }
                if (prepare == null) {
                    continue;
                }
                CompletableFuture<?> done = prepare.handle((v, e) -> null).thenCompose(x -> link.rollback(p, id, span))
                        .exceptionally(e -> {
                            LOG.debugf("Rollback of %s on peer %s failed (%s); the peer asks for the outcome later", id, p,
                                    Futures.unwrap(e).getMessage());
                            return null;
                        });
                all.add(done);
            }
            localDone.whenComplete((v, e) -> {
                prepared.completeExceptionally(cause);
                committed.completeExceptionally(cause);
            });
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                synchronized (core) {
                    core.rolledBack(id.gtrid());
                }
                attempts.remove(id.gtrid());
                rolledBack.complete(null);
            });
        }
    }
}
