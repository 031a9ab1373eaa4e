package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.xswire.XsWireClient;

/** {@link HostProbes} of the machine this process runs on: sysfs, procfs, xenstored's socket, {@code xl}. */
final class LiveHostProbes implements HostProbes {
    private static final Path SYS_HYPERVISOR = Path.of("/sys/hypervisor");
    private static final long COMMAND_TIMEOUT_SECONDS = 20;

    @Override
    public Optional<Found> hypervisor() {
        Path type = SYS_HYPERVISOR.resolve("type");
        Optional<String> t = read(type);
        if (t.isPresent()) {
            return Optional.of(new Found(t.get(), type.toString()));
        }
        // Older dom0 kernels without CONFIG_XEN_SYS_HYPERVISOR still mount xenfs, which exists only on Xen.
        Path capabilities = Path.of("/proc/xen/capabilities");
        return Files.exists(capabilities) ? Optional.of(new Found("xen", capabilities.toString())) : Optional.empty();
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    /**
     * The hypervisor's own copy of its .config through hypfs ({@code xenhypfs cat /buildinfo/config}, Xen 4.14+
     * with CONFIG_HYPFS_CONFIG), else the one Debian installs beside it ({@code /boot/xen-MAJOR.MINOR-*.config}).
     */
    @Override
    public Optional<Found> hypervisorConfig() {
        Optional<String> hypfs = command(List.of("xenhypfs", "cat", "/buildinfo/config"));
        if (hypfs.isPresent() && hypfs.get().contains("CONFIG_")) {
            return Optional.of(new Found(hypfs.get(), "xenhypfs cat /buildinfo/config"));
        }
        Optional<String> major = read(SYS_HYPERVISOR.resolve("version/major"));
        Optional<String> minor = read(SYS_HYPERVISOR.resolve("version/minor"));
        if (major.isEmpty() || minor.isEmpty()) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> configs = Files.newDirectoryStream(Path.of("/boot"),
                "xen-" + major.get() + "." + minor.get() + "*.config")) {
            for (Path config : configs) {
                return Optional.of(new Found(Files.readString(config), config.toString()));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    @Override
    public Found xenstoreRead(String key) throws IOException {
        String env = System.getenv("XENSTORED_PATH");
        Path socket = env != null ? Path.of(env) : XsWireClient.DEFAULT_SOCKET;
        if (!Files.exists(socket)) {
            throw new IOException("no xenstored socket at " + socket + " (is xenstored running? a xenstore stub "
                    + "domain is not supported)");
        }
        try (XsWireClient xs = XsWireClient.connect(socket)) {
            return new Found(xs.read(key).orElseThrow(() -> new IOException(key + " is not in xenstore")),
                    socket.toString());
        } catch (RuntimeException e) {
            throw new IOException(socket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong hypervisorFreeKiB() {
        Optional<String> info = command(List.of("xl", "info"));
        if (info.isEmpty()) {
            return OptionalLong.empty();
        }
        for (String line : info.get().split("\n")) {
            String[] kv = line.split(":", 2);
            if (kv.length == 2 && kv[0].trim().equals("free_memory")) {
                try {
                    return OptionalLong.of(Long.parseLong(kv[1].trim()) * 1024);   // xl says MiB
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    @Override
    public OptionalLong availableKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    @Override
    public boolean writable(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();   // the daemon creates what is missing: the nearest existing ancestor decides
        }
        return p != null && Files.isDirectory(p) && Files.isWritable(p);
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).trim()).filter(s -> !s.isEmpty());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** What a command printed on stdout, if it ran and exited 0 within the timeout; empty otherwise. */
    private static Optional<String> command(List<String> cmd) {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return Optional.empty();   // not installed
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try {
            if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(out.join()) : Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return Optional.empty();
        }
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
