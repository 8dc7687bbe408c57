package io.quarkiverse.level2pc;

import java.util.Iterator;

/** An ordered cursor over a scan; holds a LevelDB snapshot until closed. */
public interface KeyValueIterator extends Iterator<KeyValue>, AutoCloseable {

    /** Releases the snapshot. Never throws. */
    @Override
    void close();
}
