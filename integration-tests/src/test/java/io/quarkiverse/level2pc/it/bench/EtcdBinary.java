package io.quarkiverse.level2pc.it.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code etcd} binary the harness compares against: on the {@code PATH} or at {@code /usr/bin/etcd};
 * when it is missing, Debian's {@code etcd-server} package is installed with {@code apt-get} if the
 * harness runs as root on a machine that has it. Otherwise {@link Unavailable} says why not, and the
 * run goes on without etcd.
 */
final class EtcdBinary {

    static final String PACKAGE = "etcd-server";
    private static final long INSTALL_TIMEOUT_MINUTES = 10;

    /** Why there is no etcd to measure. */
    static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    private EtcdBinary() {
    }

    /**
     * The binary, installing it first if need be.
     *
     * @param logDir where {@code apt-get}'s output goes
     * @param notes receives what was done to get it (an installation), for the report
     */
    static Path locate(Path logDir, List<String> notes) throws Unavailable {
        Optional<Path> found = find("etcd");
        if (found.isPresent()) {
            return found.get();
        }
        Optional<Path> apt = find("apt-get");
        if (apt.isEmpty()) {
            throw new Unavailable("no etcd on the PATH nor at /usr/bin/etcd, and no apt-get to install " + PACKAGE);
        }
        if (!isRoot()) {
            throw new Unavailable("no etcd on the PATH nor at /usr/bin/etcd, and not root to run `apt-get install -y "
                    + PACKAGE + "` (install it, or pass -Dbench.etcd=none)");
        }
        System.out.println("    etcd not found: apt-get install -y " + PACKAGE + " (output in " + logDir + ")");
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve("apt-get.log");
            int exit = run(log, apt.get().toString(), "install", "-y", PACKAGE);
            if (exit != 0) {
                // stale package lists are the usual reason (containers ship without them)
                run(log, apt.get().toString(), "update");
                exit = run(log, apt.get().toString(), "install", "-y", PACKAGE);
            }
            found = find("etcd");
            if (exit != 0 || found.isEmpty()) {
                throw new Unavailable("`apt-get install -y " + PACKAGE + "` exited with " + exit
                        + (found.isEmpty() ? " and no etcd binary appeared" : "") + " (output in " + log + ")");
            }
        } catch (IOException e) {
            throw new Unavailable("installing " + PACKAGE + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while installing " + PACKAGE);
        }
        notes.add("etcd was missing; the harness installed Debian's `" + PACKAGE + "` with apt-get (on a machine with "
                + "systemd, the package also starts its own `etcd` service, which then shares the machine with the "
                + "measured cells: `systemctl stop etcd`).");
        return found.get();
    }

    /** {@code etcd --version}'s first line, shortened: {@code etcd Version: 3.4.23} is {@code etcd 3.4.23}. */
    static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("etcd, version unknown").trim().replaceFirst("^etcd Version: ", "etcd ");
        } catch (IOException e) {
            return "etcd, version unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "etcd, version unknown";
        }
    }

    /** An executable {@code name} on the PATH, or in {@code /usr/bin} (a PATH without it is common for root). */
    static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + File.pathSeparator + "/usr/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether this JVM runs as root (user id 0, from {@code /proc/self/status}, else the user name). */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[0].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "root".equals(System.getProperty("user.name"));
    }

    private static int run(Path log, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        if (!p.waitFor(INSTALL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " still running after " + INSTALL_TIMEOUT_MINUTES + " min");
        }
        return p.exitValue();
    }
}
