package io.quarkiverse.level2pc.it.bench;

/**
 * Where a cell's operations run: a local LevelDB in the harness's JVM, {@code size} demo-app JVMs
 * over HTTP, or an etcd cluster of {@code size} members over its JSON gateway.
 */
record Target(Kind kind, int size) implements Comparable<Target> {

    enum Kind {
        LOCAL_LEVELDB,
        NODES,
        ETCD
    }

    static final Target LOCAL_LEVELDB = new Target(Kind.LOCAL_LEVELDB, 0);

    Target {
        if (kind == Kind.LOCAL_LEVELDB ? size != 0 : size < 1) {
            throw new IllegalArgumentException("no target " + kind + " of size " + size);
        }
    }

    /** {@code nodes} demo-app nodes, or ({@code nodes == 0}) the local LevelDB. */
    Target(int nodes) {
        this(nodes == 0 ? Kind.LOCAL_LEVELDB : Kind.NODES, nodes);
    }

    static Target etcd(int members) {
        return new Target(Kind.ETCD, members);
    }

    boolean isLocal() {
        return kind == Kind.LOCAL_LEVELDB;
    }

    boolean isEtcd() {
        return kind == Kind.ETCD;
    }

    String label() {
        return switch (kind) {
            case LOCAL_LEVELDB -> "LevelDB (local)";
            case NODES -> size == 1 ? "1 node" : size + " nodes";
            case ETCD -> "etcd, " + size + (size == 1 ? " member" : " members");
        };
    }

    /** The local LevelDB first, then the node counts, then etcd; each by size. */
    @Override
    public int compareTo(Target o) {
        int k = kind.compareTo(o.kind);
        return k != 0 ? k : Integer.compare(size, o.size);
    }
}
