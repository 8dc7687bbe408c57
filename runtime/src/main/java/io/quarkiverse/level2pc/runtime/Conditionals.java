package io.quarkiverse.level2pc.runtime;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import io.quarkiverse.level2pc.core.Bytes;
import io.quarkiverse.level2pc.core.TxWork;
import io.quarkiverse.level2pc.core.Versioned;
import io.quarkiverse.level2pc.jta.TxContext;
import io.quarkiverse.level2pc.jta.TxEnlistment;
import io.quarkiverse.level2pc.node.Futures;
import io.quarkiverse.level2pc.node.Node;
import io.quarkiverse.level2pc.node.Reads;
import io.quarkiverse.level2pc.runtime.config.Level2pcConfig.TransactionReads;

/**
 * Versioned reads and conditional writes of one {@link ReplicatedDBImpl}. A conditional write is a read of the key
 * and, if its current version satisfies the condition, a write that carries that version as read: every node
 * validates it when it prepares, so the write happens only if nothing changed the key in between, exactly like a
 * transaction that read the key and wrote it.
 */
final class Conditionals {

    private final Level2pcNode node;

    Conditionals(Level2pcNode node) {
        this.node = node;
    }

    /**
     * The value of {@code k} as the caller sees it, with its committed version; inside a JTA transaction its own
     * write first (with a {@code null} version), and a read of committed data is recorded for validation (with
     * {@code transaction-reads=no-wait} without waiting for a prepared holder of the key: the validation catches
     * its commit).
     */
    Versioned read(Bytes k) {
        TxEnlistment tx = node.enlistment();
        if (!tx.inTransaction()) {
            return node.awaitReadable().reads().read(k);
        }
        TxContext ctx = tx.current();
        TxContext.Local local = ctx.lookup(k);
        if (local instanceof TxContext.Written w) {
            return w.value() == null ? null : new Versioned(w.value().clone(), null);
        }
        if (local instanceof TxContext.Cached c) {
            return c.value() == null ? null : new Versioned(c.value().clone(), c.version());
        }
        Reads reads = node.awaitReadable().reads();
        Versioned v = node.config().transactionReads() == TransactionReads.NO_WAIT ? reads.readCommitted(k) : reads.read(k);
        ctx.recordRead(k, v);
        return v;
    }

    /**
     * Writes {@code value} ({@code null}: deletes) to {@code k} if its current version satisfies {@code holds}
     * ({@link Bytes#EMPTY} when absent). A key the current transaction wrote itself has no version yet: no
     * condition holds for it but "absent" after its own delete. Outside a transaction: a replicated transaction of
     * its own, retried (reading again) after a conflict for up to {@code lock-wait-timeout}.
     *
     * @return whether the condition held and the write was made (or, inside a transaction, buffered)
     */
    boolean write(Bytes k, Predicate<Bytes> holds, byte[] value) {
        TxEnlistment tx = node.enlistment();
        if (!tx.inTransaction()) {
            return Futures.join(standalone(node.awaitOpen(), k, holds, value));
        }
        TxContext ctx = tx.current();
        TxContext.Local local = ctx.lookup(k);
        Bytes current;
        if (local instanceof TxContext.Written w) {
            current = w.value() == null ? Bytes.EMPTY : null;
        } else {
            Versioned v = read(k);
            current = v == null ? Bytes.EMPTY : v.version();
        }
        if (current == null || !holds.test(current)) {
            return false;
        }
        tx.currentForWrite().write(k, value);
        return true;
    }

    /** {@link #write} outside a transaction, without blocking. */
    CompletableFuture<Boolean> standalone(Node n, Bytes k, Predicate<Bytes> holds, byte[] value) {
        return n.coordinator().runDerived(priority -> readAsync(n, k).thenApply(v -> {
            Bytes current = v == null ? Bytes.EMPTY : v.version();
            if (!holds.test(current)) {
                return null;
            }
            TreeMap<Bytes, byte[]> writes = new TreeMap<>();
            writes.put(k, value);
            return new TxWork(writes, Map.of(k, current), n.name()).withPriority(priority);
        }), n.readiness()::writeSet, n.readiness().writeBound(), node.config().lockWaitTimeout());
    }

    /** The committed value of {@code k} once the node may read (quorum mode: holds its lease). */
    static CompletableFuture<Versioned> readAsync(Node n, Bytes k) {
        return n.readiness().awaitReadable().thenCompose(ready -> n.reads().readAsync(k));
    }

    /** The condition "the key holds this version" for a version given by the application. */
    static Predicate<Bytes> is(String expectedVersion) {
        Bytes expected = Versions.decode(expectedVersion, "expectedVersion");
        return expected::equals;
    }

    /** The condition "the key is absent". */
    static Predicate<Bytes> absent() {
        return v -> v.length() == 0;
    }
}
