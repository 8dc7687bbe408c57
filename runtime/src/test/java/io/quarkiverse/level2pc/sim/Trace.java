package io.quarkiverse.level2pc.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What happened in a run, line by line with the virtual time: kept only when asked for (a failing seed, a golden file). */
final class Trace {

    /** A trace that keeps nothing. */
    static final Trace OFF = new Trace(null, false);

    private final SimScheduler scheduler;
    private final boolean enabled;
    private final List<String> lines = new ArrayList<>();

    Trace(SimScheduler scheduler, boolean enabled) {
        this.scheduler = scheduler;
        this.enabled = enabled;
    }

    void log(String format, Object... args) {
        if (enabled) {
            long us = TimeUnit.NANOSECONDS.toMicros(scheduler.nanoTime());
            lines.add(String.format(Locale.ROOT, "%8.3f ms  ", us / 1000.0) + String.format(Locale.ROOT, format, args));
        }
    }

    List<String> lines() {
        return lines;
    }
}
