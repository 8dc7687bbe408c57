package io.quarkiverse.level2pc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.Participant;

/**
 * The layers, from top to bottom, each a package: {@code runtime} (Quarkus glue) &gt; {@code jta} &gt;
 * {@code transport} &gt; {@code node} &gt; {@code storage} &gt; {@code codec} &gt; {@code core}. A package uses
 * only packages below it; the public API (the root package) uses none of ours and every layer but the core may
 * use it; the transport never reaches into the storage; the core uses nothing but the plain JDK (no Quarkus,
 * CDI, JTA, LevelDB, Vert.x, JSON, network, files or threads). Checked on the sources (imports and qualified
 * names) and on the compiled classes (every class their constant pools reference), each violation named. No
 * layering cycle can exist under these rules. Also: no main source file over 500 lines.
 */
class ArchitectureTest {

    private static final String ROOT = "io.quarkiverse.level2pc";

    /** Rank of each layer: a package may use only lower ranks (and the API). */
    private static final Map<String, Integer> RANK = Map.of(
            "core", 0, "codec", 1, "storage", 2, "node", 3, "transport", 4, "jta", 5, "runtime", 6);

    /** Package or class-name prefixes the core must not use. */
    private static final List<String> CORE_FORBIDDEN = List.of(
            "io.quarkus.", "jakarta.", "javax.", "org.iq80.", "io.vertx.", "org.jboss.", "com.fasterxml.", "io.smallrye.",
            "org.eclipse.microprofile.", "io.netty.", "okhttp3.", "org.apache.http.", "org.apache.hc.", "com.google.",
            "java.net.", // java.net.http (the JDK HTTP client) included
            "java.nio.file.", "java.nio.channels.", "java.io.File", "java.io.RandomAccessFile",
            "java.lang.Thread", "java.util.concurrent.Executor", "java.util.concurrent.ForkJoin", "java.util.Timer");

    private static Path classesDir() throws URISyntaxException {
        return Path.of(Participant.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static Path sourcesDir() throws URISyntaxException {
        // target/classes -> module root -> src/main/java
        return classesDir().getParent().getParent().resolve("src/main/java");
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    /** The layer of a package of ours ({@code "api"} for the root package), or {@code null} if not ours. */
    static String layerOf(String qualifiedName) {
        if (!qualifiedName.startsWith(ROOT + ".")) {
            return null;
        }
        String rest = qualifiedName.substring(ROOT.length() + 1);
        int dot = rest.indexOf('.');
        if (dot < 0 || Character.isUpperCase(rest.charAt(0))) {
            return "api";
        }
        return rest.substring(0, dot);
    }

    /** Why {@code from} (a class of ours) may not use {@code to}, or {@code null}. */
    static String violation(String from, String to) {
        String a = layerOf(from);
        String b = layerOf(to);
        if ("core".equals(a)) {
            for (String f : CORE_FORBIDDEN) {
                if (to.startsWith(f) || (f.endsWith(".") && to.equals(f.substring(0, f.length() - 1)))) {
                    return "the core uses " + to + " (only the plain JDK is allowed)";
                }
            }
        }
        if (b == null || b.equals(a)) {
            return null;
        }
        if ("api".equals(b)) {
            return "core".equals(a) ? "the core uses the public API " + to : null;
        }
        if ("api".equals(a)) {
            return "the public API uses " + to;
        }
        if ("transport".equals(a) && "storage".equals(b)) {
            return "the transport reaches into the storage: " + to;
        }
        Integer ra = RANK.get(a);
        Integer rb = RANK.get(b);
        if (ra == null || rb == null) {
            return "unknown layer: " + (ra == null ? a : b);
        }
        return rb < ra ? null : a + " uses " + b + " above or beside it: " + to;
    }

    private static String className(Path root, Path file, String suffix) {
        String rel = root.relativize(file).toString();
        return rel.substring(0, rel.length() - suffix.length()).replace('/', '.');
    }

    @Test
    void sourcesUseOnlyTheLayersBelowThem() throws Exception {
        Path root = sourcesDir();
        List<Path> sources = files(root, ".java");
        assertThat(sources).hasSizeGreaterThan(50);
        List<String> violations = new ArrayList<>();
        for (Path p : sources) {
            String from = className(root, p, ".java");
            String source = Files.readString(p);
            for (String name : Dependencies.imports(source)) {
                String why = violation(from, name);
                if (why != null) {
                    violations.add(from + " imports " + name + ": " + why);
                }
            }
            for (String name : Dependencies.qualifiedNames(source)) {
                String why = violation(from, name);
                if (why != null) {
                    violations.add(from + " names " + name + ": " + why);
                }
            }
        }
        assertThat(violations).as("dependencies that break the layers").isEmpty();
    }

    @Test
    void compiledClassesUseOnlyTheLayersBelowThem() throws Exception {
        Path root = classesDir();
        List<Path> classes = files(root.resolve(ROOT.replace('.', '/')), ".class");
        assertThat(classes).hasSizeGreaterThan(50);
        List<String> violations = new ArrayList<>();
        for (Path c : classes) {
            String from = className(root, c, ".class");
            try (InputStream in = Files.newInputStream(c)) {
                for (String ref : Dependencies.referencedClasses(in)) {
                    String why = violation(from, ref);
                    if (why != null) {
                        violations.add(from + " -> " + ref + ": " + why);
                    }
                }
            }
        }
        assertThat(violations).as("compiled dependencies that break the layers").isEmpty();
    }

    @Test
    void noMainSourceFileIsOver500Lines() throws Exception {
        List<String> long_ = new ArrayList<>();
        for (Path p : files(sourcesDir(), ".java")) {
            long lines = Files.readAllLines(p).size();
            if (lines > 500) {
                long_.add(p.getFileName() + ": " + lines + " lines");
            }
        }
        assertThat(long_).isEmpty();
    }

    /** The rules and scanners must be able to fail: they flag what they are meant to flag. */
    @Test
    void theRulesFlagWhatTheyForbid() throws Exception {
        assertThat(violation("io.quarkiverse.level2pc.core.X", "org.iq80.leveldb.DB")).contains("plain JDK");
        assertThat(violation("io.quarkiverse.level2pc.core.X", "java.lang.Thread")).isNotNull();
        assertThat(violation("io.quarkiverse.level2pc.core.X", "io.quarkiverse.level2pc.ConflictException")).contains("public API");
        assertThat(violation("io.quarkiverse.level2pc.node.X", "io.quarkiverse.level2pc.transport.PeerClient")).contains("above");
        assertThat(violation("io.quarkiverse.level2pc.transport.X", "io.quarkiverse.level2pc.storage.NodeStore")).contains("storage");
        assertThat(violation("io.quarkiverse.level2pc.ReplicatedDB", "io.quarkiverse.level2pc.core.Bytes")).contains("public API");
        assertThat(violation("io.quarkiverse.level2pc.codec.X", "io.quarkiverse.level2pc.storage.KeySpace")).isNotNull();
        assertThat(violation("io.quarkiverse.level2pc.jta.X", "io.quarkiverse.level2pc.runtime.Level2pcNode")).isNotNull();
        assertThat(violation("io.quarkiverse.level2pc.node.X", "io.quarkiverse.level2pc.ConflictException")).isNull();
        assertThat(violation("io.quarkiverse.level2pc.runtime.health.X", "io.quarkiverse.level2pc.runtime.Level2pcNode")).isNull();
        assertThat(violation("io.quarkiverse.level2pc.node.X", "io.quarkiverse.level2pc.storage.NodeStore")).isNull();

        String bad = """
                package io.quarkiverse.level2pc.core;

                import java.util.List;
                import org.iq80.leveldb.DB;
                import static io.quarkus.runtime.LaunchMode.current;

                /** Mentions jakarta.transaction.Xid in a comment only, which is fine. */
                class Bad {
                    String s = "javax.net.ssl.SSLContext"; // a string is fine too
                    Object o = new com.fasterxml.jackson.databind.ObjectMapper();
                }
                """;
        assertThat(Dependencies.imports(bad)).contains("org.iq80.leveldb.DB", "io.quarkus.runtime.LaunchMode.current");
        assertThat(Dependencies.qualifiedNames(bad)).contains("com.fasterxml.jackson.databind.ObjectMapper")
                .noneMatch(n -> n.startsWith("jakarta.") || n.startsWith("javax."));
        try (InputStream in = Participant.class.getResourceAsStream("Participant.class")) {
            assertThat(Dependencies.referencedClasses(in)).contains("java.util.Map", "io.quarkiverse.level2pc.core.LockTable");
        }
    }
}
