package io.quarkiverse.level2pc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quarkiverse.level2pc.core.Participant;
import io.quarkiverse.level2pc.storage.LevelStore;

/**
 * The protocol core stays pure: no Quarkus, CDI, JTA, LevelDB, Vert.x, JSON, network, file I/O or
 * threads, and no dependency on the layers above it. Checked twice: on the sources (imports and fully
 * qualified names) and on the compiled classes (every class their constant pools reference), so
 * neither a fully qualified name nor a missed import slips through.
 */
class ArchitectureTest {

    private static final String CORE = "io.quarkiverse.level2pc.core";

    /** Package or class-name prefixes the core must not use. */
    private static final List<String> FORBIDDEN = List.of(
            "io.quarkus.", "jakarta.", "javax.", "org.iq80.", "io.vertx.", "org.jboss.", "com.fasterxml.", "io.smallrye.",
            "org.eclipse.microprofile.", "io.netty.", "okhttp3.", "org.apache.http.", "org.apache.hc.", "com.google.",
            "java.net.", // java.net.http (the JDK HTTP client) included
            "java.nio.file.", "java.nio.channels.", "java.io.File", "java.io.RandomAccessFile",
            "java.lang.Thread", "java.util.concurrent.Executor", "java.util.concurrent.ForkJoin", "java.util.Timer",
            // Data flows down: the core knows nothing of the layers built on it.
            "io.quarkiverse.level2pc.storage.", "io.quarkiverse.level2pc.runtime.", "io.quarkiverse.level2pc.jta.",
            "io.quarkiverse.level2pc.transport.", "io.quarkiverse.level2pc.deployment.");

    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\b((?:[a-z][a-z0-9_]*\\.)+[A-Za-z_$][\\w$]*)");
    private static final Pattern DESCRIPTOR_CLASS = Pattern.compile("L([\\w$/]+)[;<]");

    private static Path classesDir() throws URISyntaxException {
        return Path.of(Participant.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static Path coreSources() throws URISyntaxException {
        // target/classes -> module root -> src/main/java
        return classesDir().getParent().getParent().resolve("src/main/java").resolve(CORE.replace('.', '/'));
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    private static String forbiddenPrefix(String qualifiedName) {
        for (String f : FORBIDDEN) {
            if (qualifiedName.startsWith(f) || (f.endsWith(".") && qualifiedName.equals(f.substring(0, f.length() - 1)))) {
                return f;
            }
        }
        return null;
    }

    /** Violations in one source text: forbidden imports and forbidden fully qualified names in code. */
    static List<String> sourceViolations(String fileName, String source) {
        List<String> violations = new ArrayList<>();
        Matcher imports = IMPORT.matcher(source);
        while (imports.find()) {
            if (forbiddenPrefix(imports.group(1)) != null) {
                violations.add(fileName + " imports " + imports.group(1));
            }
        }
        Matcher qualified = QUALIFIED.matcher(stripCommentsAndStrings(source).replaceAll("(?m)^\\s*(package|import)\\s[^;]*;", ""));
        while (qualified.find()) {
            if (forbiddenPrefix(qualified.group(1)) != null) {
                violations.add(fileName + " uses " + qualified.group(1));
            }
        }
        return violations;
    }

    private static String stripCommentsAndStrings(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("'(?:\\\\.|[^'\\\\])'", "' '");
    }

    /** Every class a compiled class refers to through its constant pool (in dotted form). */
    static Set<String> referencedClasses(InputStream classFile) throws IOException {
        DataInputStream in = new DataInputStream(classFile);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        List<Integer> classNameIndexes = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> classNameIndexes.add(in.readUnsignedShort());
                case 8, 16, 19, 20 -> in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // 8-byte constants take two slots
                }
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        Set<String> classes = new TreeSet<>();
        for (int idx : classNameIndexes) {
            String name = utf8[idx];
            Matcher arrayOf = DESCRIPTOR_CLASS.matcher(name);
            if (name.startsWith("[")) {
                while (arrayOf.find()) {
                    classes.add(arrayOf.group(1).replace('/', '.'));
                }
            } else {
                classes.add(name.replace('/', '.'));
            }
        }
        // Descriptors and generic signatures of fields, methods, lambdas.
        for (String s : utf8) {
            if (s != null && (s.startsWith("(") || s.startsWith("L") || s.startsWith("<") || s.startsWith("["))) {
                Matcher m = DESCRIPTOR_CLASS.matcher(s);
                while (m.find()) {
                    classes.add(m.group(1).replace('/', '.'));
                }
            }
        }
        return classes;
    }

    @Test
    void coreSourcesImportAndNameNothingButThePlainJdk() throws Exception {
        List<Path> sources = files(coreSources(), ".java");
        assertThat(sources).as("core sources found under %s", coreSources()).hasSizeGreaterThan(5)
                .anyMatch(p -> p.endsWith("Participant.java"))
                .anyMatch(p -> p.endsWith("LockTable.java"));

        List<String> violations = new ArrayList<>();
        for (Path p : sources) {
            violations.addAll(sourceViolations(p.getFileName().toString(), Files.readString(p)));
        }

        assertThat(violations).as("the protocol core must stay pure (java.lang / java.util only)").isEmpty();
    }

    @Test
    void compiledCoreClassesReferenceNothingButThePlainJdk() throws Exception {
        Path dir = classesDir().resolve(CORE.replace('.', '/'));
        List<Path> classes = files(dir, ".class");
        assertThat(classes).as("compiled core classes under %s", dir).hasSizeGreaterThan(5);

        List<String> violations = new ArrayList<>();
        for (Path c : classes) {
            try (InputStream in = Files.newInputStream(c)) {
                for (String ref : referencedClasses(in)) {
                    if (forbiddenPrefix(ref) != null) {
                        violations.add(dir.relativize(c) + " -> " + ref);
                    }
                }
            }
        }

        assertThat(violations).as("the protocol core must stay pure (java.lang / java.util only)").isEmpty();
    }

    /** The scanners must be able to fail: they flag what they are meant to flag. */
    @Test
    void theScannersDetectForbiddenDependencies() throws Exception {
        String bad = """
                package io.quarkiverse.level2pc.core;

                import java.util.List;
                import org.iq80.leveldb.DB;
                import static io.quarkus.runtime.LaunchMode.current;
                import java.net.http.HttpClient;

                /** Mentions jakarta.transaction.Xid in a comment only, which is fine. */
                class Bad {
                    String s = "javax.net.ssl.SSLContext"; // a string is fine too
                    Object o = new com.fasterxml.jackson.databind.ObjectMapper();
                    void run() { new java.lang.Thread(() -> {}).start(); }
                }
                """;
        assertThat(sourceViolations("Bad.java", bad)).containsExactlyInAnyOrder(
                "Bad.java imports org.iq80.leveldb.DB",
                "Bad.java imports io.quarkus.runtime.LaunchMode.current",
                "Bad.java imports java.net.http.HttpClient",
                "Bad.java uses com.fasterxml.jackson.databind.ObjectMapper",
                "Bad.java uses java.lang.Thread");

        try (InputStream in = LevelStore.class.getResourceAsStream("LevelStore.class")) {
            Set<String> refs = referencedClasses(in);
            assertThat(refs).contains("org.iq80.leveldb.DB", "java.nio.file.Path", "io.quarkiverse.level2pc.core.TxWork");
            assertThat(refs.stream().filter(r -> forbiddenPrefix(r) != null)).isNotEmpty();
        }
        try (InputStream in = Participant.class.getResourceAsStream("Participant.class")) {
            assertThat(referencedClasses(in)).contains("java.util.Map", "io.quarkiverse.level2pc.core.LockTable");
        }
    }
}
