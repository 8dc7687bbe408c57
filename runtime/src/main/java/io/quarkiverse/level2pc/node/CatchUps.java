package io.quarkiverse.level2pc.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.core.BranchId;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.CatchUp;
import io.quarkiverse.level2pc.core.Conflict;
import io.quarkiverse.level2pc.core.Hint;
import io.quarkiverse.level2pc.core.KeyState;
import io.quarkiverse.level2pc.core.Outcome;
import io.quarkiverse.level2pc.core.Participant;
import io.quarkiverse.level2pc.core.PrepareRecord;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;

/**
 * Quorum mode's catch-up on one node, both sides: as a source, what a node that missed commits must take
 * from this one ({@link #catchUpFor}); as the node catching up, applying what its sources sent
 * ({@link #apply}); and the participant's answer about a transaction whose branch another node adopted
 * ({@link #branchState}).
 */
public final class CatchUps {

    private static final Logger LOG = Logger.getLogger(CatchUps.class);

    /** The page budget by default: a quarter of the default {@code max-message-size} (10 MiB). */
    public static final long DEFAULT_PAGE_BYTES = 10L * 1024 * 1024 / 4;

    private final LocalNode node;
    private final Branches branches;
    private final NodeStore store;
    private final long pageBytes;
    /** Per node: the live branches written without it that a catch-up answer sent it. Guarded by the node lock. */
    private final Map<String, Set<BranchId>> sentTo = new HashMap<>();

    /** Catch-up with pages of {@link #DEFAULT_PAGE_BYTES}. */
    public CatchUps(LocalNode node) {
        this(node, DEFAULT_PAGE_BYTES);
    }

    /**
     * @param pageBytes the page budget: an answer of {@link #catchUpFor} stops taking hints once the key states
     *        it holds reach this many bytes (a quarter of {@code max-message-size} in the application, so that a page
     *        stays well below the bound a peer answer has)
     */
    public CatchUps(LocalNode node, long pageBytes) {
        if (pageBytes <= 0) {
            throw new IllegalArgumentException("the catch-up page budget must be positive: " + pageBytes);
        }
        this.node = node;
        this.branches = node.branches;
        this.store = node.store();
        this.pageBytes = pageBytes;
    }

    /** Whether work {@code w} belongs to a branch node {@code self} adopted: prepared without it (quorum mode). */
    static boolean isAdopted(TxWork w, String self) {
        return w.isQuorum() && !w.participants().contains(self);
    }

    /**
     * What node {@code name} needs to catch up from this node, one page of it: this node's branches that are
     * prepared (or committing) without it, which it adopts (all of them: they are bounded by the live branches),
     * then its hints for {@code name}, whole and in order, with the current state of every key they name, until
     * those key states reach the page budget (at least one hint, however large). Hints left out make the answer
     * say {@code more}: the node asks again once it applied this page and told this node so ({@link #caughtUp}),
     * which drops the page's hints. Branches are collected before the hints are read, so a branch completing in
     * between is in one list or in both (or in the hints of a later page), never in neither.
     */
    public CatchUp catchUpFor(String name) {
        List<PrepareRecord> inFlight = branches.locked(() -> {
            List<PrepareRecord> list = new ArrayList<>();
            branches.participant.live().forEach((id, w) -> {
                if (leavesOut(w, name)) {
                    list.add(new PrepareRecord(id, w));
                    sentTo.computeIfAbsent(name, n -> new HashSet<>()).add(id);
                }
            });
            return list;
        });
        Map<Bytes, KeyState> states = new TreeMap<>();
        List<Bytes> hints = new ArrayList<>();
        long size = 0;
        boolean more = false;
        for (Hint h : store.hints()) {
            if (!h.missedBy(name)) {
                continue;
            }
            if (!hints.isEmpty() && size >= pageBytes) {
                more = true;
                break;
            }
            hints.add(h.gtrid());
            for (Bytes k : h.keys()) {
                if (!states.containsKey(k)) {
                    KeyState state = store.stateOf(k);
                    states.put(k, state);
                    size += sizeOf(state);
                }
            }
        }
        return new CatchUp(new ArrayList<>(states.values()), inFlight, hints, more);
    }

    /** Whether branch work {@code w} is written without node {@code name} (quorum mode). */
    private static boolean leavesOut(TxWork w, String name) {
        return w.isQuorum() && !w.participants().contains(name) && !w.isReadOnly();
    }

    /**
     * Whether node {@code name}, which asked this node for a read lease and was just promised it, is behind: this
     * node holds a branch written without it (prepared or committing, as participant or coordinator) that it has
     * not been sent in a catch-up answer yet, or a hint for a commit it missed. It must then stop reading and catch
     * up from this node (the "behind" flag of the hello answer). Checked under the lock a prepare's guard and its
     * registration hold, after the promise was recorded: a branch registered before this check is seen here, one
     * registered after it met the promise and was refused. A branch that completes is a hint before it stops being
     * live, so it is seen either way. Branches sent to {@code name} in a catch-up answer are not counted again (it
     * adopted them; counting them would make it lapse at every hello while they are in flight); they are forgotten
     * here once they completed. A hint counts until {@code name} says it caught up with it.
     */
    public boolean behind(String name) {
        boolean branch = branches.locked(() -> {
            Map<BranchId, TxWork> live = branches.participant.live();
            Set<BranchId> sent = sentTo.get(name);
            if (sent != null && sent.retainAll(live.keySet()) && sent.isEmpty()) {
                sentTo.remove(name);
            }
            return live.entrySet().stream().anyMatch(e -> leavesOut(e.getValue(), name) && (sent == null
                    || !sent.contains(e.getKey())));
        });
        return branch || store.hasHintFor(name);
    }

    /** The bytes a key state takes in a catch-up answer: its key, version and value, and their three lengths. */
    static long sizeOf(KeyState k) {
        return 12L + k.key().length() + k.version().length() + (k.value() == null ? 0 : k.value().length);
    }

    /**
     * What this node, a participant of transaction {@code gtrid}, knows of it (asked by a node that adopted
     * a branch of it): {@code IN_PROGRESS} while a branch of it is live here; {@code COMMITTED} while its
     * catch-up hint is on record (it committed without the asker, who has not caught up with it yet);
     * otherwise {@code UNKNOWN}: it rolled back, or its prepare has not arrived yet, or every node it missed
     * caught up with it already (the asker included, which then holds its writes).
     */
    public Outcome branchState(Bytes gtrid) {
        if (node.isLive(gtrid)) {
            return Outcome.IN_PROGRESS;
        }
        return store.hasHint(gtrid) ? Outcome.COMMITTED : Outcome.UNKNOWN;
    }

    /** Node {@code name} applied the hints {@code gtrids} this node sent it. */
    public CompletableFuture<Void> caughtUp(String name, List<Bytes> gtrids) {
        return store.caughtUp(name, gtrids);
    }

    /**
     * Applies what the catch-up sources sent: every key whose state at a source carries a greater stamp than
     * here takes that state, and the sources' branches prepared without this node are adopted (persisted
     * here with their locks; the in-doubt resolver asks their participants). Keys and adopted branches are
     * locked for the duration, so no commit of them runs concurrently. Completes with {@code null} when
     * applied, else with why not (a local branch holds one of the keys: try again later).
     */
    public CompletableFuture<String> apply(List<CatchUp> answers) {
        CatchUp.Merged merged = CatchUp.merge(answers);
        node.clock.observe(merged.maxStamp());
        List<KeyState> newer = new ArrayList<>();
        List<PrepareRecord> adopted = new ArrayList<>();
        String busy = branches.locked(() -> {
            for (PrepareRecord r : merged.branches().values()) {
                if (branches.participant.state(r.branch()) == null && branches.participant.outcome(r.branch()) == null) {
                    adopted.add(r);
                }
            }
            newer.addAll(merged.newerThan(node.versions));
            Set<Bytes> frozen = new HashSet<>();
            newer.forEach(k -> frozen.add(k.key()));
            // A local branch committing one of these keys right now would decide "newer or not" against what
            // the store holds before this catch-up: wait for it. A local branch that is only prepared may keep
            // its locks (it was decided elsewhere already, or it would conflict with the newer state): its
            // commit waits for the frozen keys and then skips whatever is older than what is stored.
            for (Map.Entry<BranchId, TxWork> e : branches.participant.live().entrySet()) {
                if (branches.participant.state(e.getKey()) == Participant.State.COMMITTING
                        && e.getValue().writes().keySet().stream().anyMatch(frozen::contains)) {
                    return "local branch " + e.getKey() + " is committing one of the keys";
                }
            }
            // Adopted branches take their locks now (written and read keys, as on their source); a key held by a
            // local branch must be released first. A dry run with the branches' own ids, so that restoring them
            // below cannot fail half-way (two adopted branches may also conflict with each other).
            Conflict c = null;
            List<BranchId> tried = new ArrayList<>();
            for (PrepareRecord r : adopted) {
                c = branches.participant.locks().tryLock(r.branch(), r.work().writes().keySet(), r.work().reads().keySet());
                if (c != null) {
                    break;
                }
                tried.add(r.branch());
            }
            tried.forEach(branches.participant.locks()::release);
            if (c != null) {
                return "the " + KeySpace.describe(c.key()) + " of a branch prepared without this node is held by branch "
                        + c.holder();
            }
            long now = node.scheduler().currentTimeMillis();
            for (PrepareRecord r : adopted) {
                branches.participant.restore(r.branch(), r.work()); // its record is written below, before anyone is told
                branches.preparedSince.put(r.branch(), now);
            }
            branches.catchUpKeys.addAll(frozen);
            return null;
        });
        if (busy != null) {
            return CompletableFuture.completedFuture(busy);
        }
        return store.applyCatchUp(newer, adopted).handle((v, failure) -> {
            branches.locked(() -> {
                newer.forEach(k -> branches.catchUpKeys.remove(k.key()));
                if (failure != null) {
                    for (PrepareRecord r : adopted) {
                        branches.participant.abandonRestored(r.branch());
                        branches.preparedSince.remove(r.branch());
                    }
                }
            });
            branches.released();
            if (failure != null) {
                throw Futures.asRuntime(failure);
            }
            if (!newer.isEmpty() || !adopted.isEmpty()) {
                LOG.infof("Node '%s' caught up: %d key(s) updated, %d branch(es) prepared without it adopted", node.nodeName(),
                        newer.size(), adopted.size());
            }
            commitAdoptedHinted(answers);
            return null;
        });
    }

    /**
     * A source's hint names a committed transaction: a branch of it this node adopted earlier (still prepared) is
     * committed now, not left to the in-doubt resolver. The resolver would need a participant that still holds the
     * hint, and the sources drop theirs once told this node caught up; until it is resolved the branch keeps its
     * keys locked. Its commit changes no key the catch-up brought newer (stamps decide).
     */
    private void commitAdoptedHinted(List<CatchUp> answers) {
        Set<Bytes> committed = new HashSet<>();
        answers.forEach(a -> committed.addAll(a.hints()));
        if (committed.isEmpty()) {
            return;
        }
        List<BranchId> decided = branches.locked(() -> branches.participant.live().entrySet().stream()
                .filter(e -> committed.contains(e.getKey().gtrid()) && isAdopted(e.getValue(), node.nodeName())
                        && branches.participant.state(e.getKey()) == Participant.State.PREPARED)
                .map(Map.Entry::getKey).toList());
        for (BranchId id : decided) {
            node.commit(id).whenComplete((c, e) -> {
                if (e != null) {
                    LOG.debugf("Node '%s' could not commit adopted branch %s yet (the in-doubt resolver will): %s",
                            node.nodeName(), id, Futures.unwrap(e).getMessage());
                }
            });
        }
    }

    /** Whether {@code id} is a branch this node adopted from a catch-up source (prepared without this node). */
    public boolean isAdopted(BranchId id) {
        return branches.locked(() -> {
            TxWork w = branches.participant.work(id);
            return w != null && isAdopted(w, node.nodeName());
        });
    }
}
