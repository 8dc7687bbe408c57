package io.quarkiverse.level2pc.runtime;

import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.spi.BeanManager;

import org.jboss.logging.Logger;

import io.quarkiverse.level2pc.Change;
import io.quarkiverse.level2pc.Database;
import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.storage.KeySpace;
import io.quarkiverse.level2pc.storage.NodeStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * The node's change feed: every data key a commit or a catch-up made durable on this node, handed to the
 * {@link io.quarkiverse.level2pc.ReplicatedDB#changes subscribers} of its range and fired as CDI events. It is told
 * by the store before the commit's locks are released, so the changes of one key come in commit order.
 *
 * <p>
 * Nothing here runs application code on the store's thread: subscribers receive on Mutiny's worker pool, each
 * through its own buffer of {@value #BUFFER} changes (a subscriber that falls further behind fails with Mutiny's
 * {@code BackPressureFailure}); CDI observers are notified on one thread, in order, with at most {@value #BUFFER}
 * changes waiting (beyond that, changes are not fired and an error is logged with their count).
 */
final class ChangeFeed implements Consumer<List<NodeStore.Applied>> {

    private static final Logger LOG = Logger.getLogger(ChangeFeed.class);
    /** How many changes may wait for one subscriber, and for the CDI observers. */
    static final int BUFFER = 10_000;

    private record Subscriber(Bytes from, Bytes to, MultiEmitter<? super Change> emitter) {
        boolean wants(Bytes key) {
            return key.compareTo(from) >= 0 && (to == null || key.compareTo(to) < 0);
        }
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Event<Change> events;
    private final BeanManager beans;
    /** Per database: whether any CDI observer would receive its changes. */
    private final Map<String, Boolean> observed = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor observerThread;
    private final AtomicLong dropped = new AtomicLong();

    ChangeFeed(Event<Change> events, BeanManager beans) {
        this.events = events;
        this.beans = beans;
        this.observerThread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(BUFFER), r -> {
            Thread t = new Thread(r, "level-2pc-changes");
            t.setDaemon(true);
            return t;
        }, (task, pool) -> {
            if (dropped.getAndIncrement() % BUFFER == 0) {
                LOG.errorf("CDI observers of io.quarkiverse.level2pc.Change fall behind: more than %d changes wait for them;"
                        + " %d change(s) not fired so far (they are committed; keep the observers quick, or use"
                        + " ReplicatedDB.changes)", BUFFER, dropped.get());
            }
        });
    }

    /**
     * The committed changes of keys in {@code [from, to)} ({@code to == null}: open) that this node applies after
     * the subscription, in order.
     */
    Multi<Change> subscribe(Bytes from, Bytes to) {
        return Multi.createFrom().<Change> emitter(em -> {
            Subscriber s = new Subscriber(from, to, em);
            subscribers.add(s);
            em.onTermination(() -> subscribers.remove(s));
        }, BackPressureStrategy.ERROR)
                .onOverflow().buffer(BUFFER)
                .emitOn(Infrastructure.getDefaultWorkerPool());
    }

    @Override
    public synchronized void accept(List<NodeStore.Applied> applied) {
        for (NodeStore.Applied a : applied) {
            String db = KeySpace.databaseOf(a.key()); // the store tells data keys only
            boolean cdi = observed.computeIfAbsent(db, this::hasObservers);
            if (subscribers.isEmpty() && !cdi) {
                continue;
            }
            Change change = null;
            for (Subscriber s : subscribers) {
                if (s.wants(a.key())) {
                    change = change != null ? change : change(db, a);
                    s.emitter().emit(change);
                }
            }
            if (cdi) {
                Change c = change != null ? change : change(db, a);
                observerThread.execute(() -> fire(c));
            }
        }
    }

    private void fire(Change c) {
        Annotation[] qualifiers = qualifiers(c.database());
        try {
            Event<Change> e = events.select(qualifiers);
            e.fire(c);
            e.fireAsync(c);
        } catch (RuntimeException e) {
            LOG.errorf(e, "An observer of %s failed (the change is committed): %s", c, e);
        }
    }

    private boolean hasObservers(String db) {
        Change probe = new Change(db, new byte[0], null, "-");
        return !beans.resolveObserverMethods(probe, qualifiers(db)).isEmpty();
    }

    private static Annotation[] qualifiers(String db) {
        return Database.DEFAULT_NAME.equals(db) ? new Annotation[0] : new Annotation[] { Database.Literal.of(db) };
    }

    private static Change change(String db, NodeStore.Applied a) {
        byte[] value = a.value();
        return new Change(db, KeySpace.userKey(KeySpace.dbPrefix(db), a.key().unsafeArray()), value == null ? null : value.clone(),
                Versions.encode(a.version()));
    }

    void close() {
        observerThread.shutdown();
        subscribers.forEach(s -> s.emitter().complete());
    }
}
