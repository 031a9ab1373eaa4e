package org.xenpostcopy.xen.nativehost;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.ExitFence;
import org.xenpostcopy.xen.XenException;

/**
 * The toolstack as {@code xl}: a domain's configuration is {@code <configDir>/<name>.cfg} (as xendomains keeps
 * them in /etc/xen), creation is {@code xl create -p}, destruction {@code xl destroy}. Keeping stock xl for
 * what is not memory means the plug-in needs no patched libxl.
 */
public final class XlToolstack implements Toolstack {
    private static final long TIMEOUT_S = 300;
    private final Path configDir;
    private final String xl;
    private final XlConfigPolicy policy;

    /** Takes nothing that reaches into dom0 from a configuration that comes with a migration. */
    public XlToolstack(Path configDir, String xl) {
        this(configDir, xl, XlConfigPolicy.strict());
    }

    public XlToolstack(Path configDir, String xl, XlConfigPolicy policy) {
        this.configDir = configDir;
        this.xl = xl;
        this.policy = policy;
    }

    @Override
    public String configForIncoming(String name, long pages, Optional<String> travelled) {
        return policy.choose(name, pages, configOf(name), travelled);
    }

    @Override
    public DomainId createPaused(String name, String xlConfig) {
        Path file;
        try {
            file = Files.createTempFile("xlpc-" + name + "-", ".cfg");
            Files.writeString(file, xlConfig);
        } catch (IOException e) {
            throw new XenException("xl create", Errno.EIO, "cannot write the config of " + name + ": " + e.getMessage());
        }
        try {
            run("xl create", List.of(xl, "create", "-p", "-q", file.toString()));
            String id = run("xl domid", List.of(xl, "domid", name)).trim();
            return DomainId.of(Integer.parseInt(id));
        } catch (NumberFormatException e) {
            throw new XenException("xl domid", Errno.EINVAL, "unexpected answer for " + name + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file; nothing depends on it
            }
        }
    }

    @Override
    public void destroy(DomainId domain) {
        run("xl destroy", List.of(xl, "destroy", Integer.toString(domain.value())));
    }

    @Override
    public ExitFence pauseIfThisProcessDies(DomainId domain) {
        return XlPauseFence.start(xl, domain);
    }

    @Override
    public Optional<String> configOf(String name) {
        if (name.contains("/") || name.startsWith(".")) {
            return Optional.empty();
        }
        Path f = configDir.resolve(name + ".cfg");
        try {
            return Files.isReadable(f) ? Optional.of(Files.readString(f)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Runs xl with its output in a file, so a hung xl is cut off by the timeout rather than blocking a read. */
    private static String run(String what, List<String> cmd) {
        Path out = null;
        try {
            out = Files.createTempFile("xlpc-xl-", ".out");
            Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new XenException(what, Errno.ETIMEDOUT, String.join(" ", cmd) + " took over " + TIMEOUT_S + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new XenException(what, Errno.EIO, String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): "
                        + text.strip().replace('\n', ' '));
            }
            return text;
        } catch (IOException e) {
            throw new XenException(what, Errno.ENOENT, "cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenException(what, Errno.EINTR, "interrupted");
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temporary file; nothing depends on it
                }
            }
        }
    }
}
