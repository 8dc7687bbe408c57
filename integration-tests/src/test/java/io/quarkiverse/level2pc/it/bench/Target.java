package io.quarkiverse.level2pc.it.bench;

/** Where a cell's operations run: {@code nodes} demo-app JVMs over HTTP, or ({@code nodes == 0}) a local LevelDB. */
record Target(int nodes) implements Comparable<Target> {

    static final Target LOCAL_LEVELDB = new Target(0);

    boolean isLocal() {
        return nodes == 0;
    }

    String label() {
        return switch (nodes) {
            case 0 -> "LevelDB (local)";
            case 1 -> "1 node";
            default -> nodes + " nodes";
        };
    }

    @Override
    public int compareTo(Target o) {
        return Integer.compare(nodes, o.nodes);
    }
}
