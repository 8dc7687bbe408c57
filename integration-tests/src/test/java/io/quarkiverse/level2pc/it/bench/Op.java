package io.quarkiverse.level2pc.it.bench;

import java.util.List;

/** One operation of a workload, independent of where it runs (over HTTP on a node, or on a local LevelDB). */
sealed interface Op {

    record Put(String key, Value value) implements Op {
    }

    record Batch(List<Put> puts) implements Op {
    }

    record Get(String key) implements Op {
    }

    record Transfer(String from, String to, long amount) implements Op {
    }

    record Ping() implements Op {
        static final Ping INSTANCE = new Ping();
    }

    /** A value: its text (ASCII letters and digits, so it needs no escaping in JSON) and its bytes. */
    record Value(String text, byte[] bytes) {
    }
}
