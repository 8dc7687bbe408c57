package io.quarkiverse.level2pc.it.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine a run measured, as far as the JVM can tell. */
record Machine(Map<String, String> facts) {

    static Machine describe(Path dataDir) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("Host", hostName());
        f.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        f.put("CPU", cpuModel());
        f.put("Cores (Runtime.availableProcessors)", String.valueOf(Runtime.getRuntime().availableProcessors()));
        f.put("Memory", memory());
        f.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        f.put("Data directory", fromRepository(dataDir) + " (" + fileSystem(dataDir) + ")");
        return new Machine(f);
    }

    /**
     * {@code p} relative to the repository's root (the harness runs in {@code integration-tests/}), so that a report
     * names no machine's absolute paths.
     */
    static String fromRepository(Path p) {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path abs = p.toAbsolutePath().normalize();
        return root != null && abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
    }

    /** The 1-minute load average, or a negative number where the platform has none. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(cpuinfo)) {
                return Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }

    private static String memory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize() / (1024 * 1024) + " MiB";
        }
        return "unknown";
    }

    private static String fileSystem(Path dir) {
        try {
            Path p = dir.toAbsolutePath();
            while (!Files.exists(p)) {
                p = p.getParent();
            }
            FileStore store = Files.getFileStore(p);
            return store.type() + " on " + store.name();
        } catch (IOException e) {
            return "file system unknown: " + e.getMessage();
        }
    }
}
