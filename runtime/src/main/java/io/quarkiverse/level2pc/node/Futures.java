package io.quarkiverse.level2pc.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import io.quarkiverse.level2pc.Level2pcException;

/** Waiting for the drivers' futures from blocking callers, with the failure as it was thrown. */
public final class Futures {

    private Futures() {
    }

    /**
     * Waits for {@code f} (the drivers bound every wait themselves) and returns its value; a failure is
     * rethrown as the exception that caused it (never wrapped in a {@code CompletionException}).
     */
    public static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw asRuntime(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Level2pcException("interrupted while waiting for the level-2pc node", e);
        }
    }

    /** The cause behind a {@code CompletionException} or {@code ExecutionException}. */
    public static Throwable unwrap(Throwable t) {
        Throwable x = t;
        while ((x instanceof CompletionException || x instanceof ExecutionException) && x.getCause() != null) {
            x = x.getCause();
        }
        return x;
    }

    /** {@link #unwrap} as an unchecked exception (an {@code Error} is rethrown as is). */
    public static RuntimeException asRuntime(Throwable t) {
        Throwable x = unwrap(t);
        if (x instanceof RuntimeException r) {
            return r;
        }
        if (x instanceof Error e) {
            throw e;
        }
        return new Level2pcException(String.valueOf(x.getMessage()), x);
    }
}
