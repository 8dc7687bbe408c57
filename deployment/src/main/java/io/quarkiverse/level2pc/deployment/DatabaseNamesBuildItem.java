package io.quarkiverse.level2pc.deployment;

import java.util.SortedSet;

import io.quarkus.builder.item.SimpleBuildItem;

/** The named databases of the application (the default one excluded). */
final class DatabaseNamesBuildItem extends SimpleBuildItem {

    private final SortedSet<String> names;

    DatabaseNamesBuildItem(SortedSet<String> names) {
        this.names = names;
    }

    SortedSet<String> names() {
        return names;
    }
}
