package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.xenpostcopy.xen.DomainId;

/**
 * Where a persistent emulated host keeps its domains: {@code <dir>/lock} and {@code <dir>/domains/<domid>/}
 * ({@link DomainFiles}). One host at a time holds the directory: {@code lock} carries an exclusive
 * {@code fcntl} lock (the kernel drops it when the holder dies, however it dies) and the holder's pid.
 */
public final class StateDirectory implements AutoCloseable {
    private static final Logger LOG = System.getLogger(StateDirectory.class.getName());

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StateDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if needed and locks it.
     *
     * @throws IllegalStateException with one sentence, when another process (or host object) holds it
     */
    public static StateDirectory open(Path dir) {
        FileChannel ch = null;
        try {
            Files.createDirectories(dir.resolve("domains"));
            ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                String holder = Files.readString(dir.resolve("lock"), StandardCharsets.UTF_8).trim();
                ch.close();
                throw new IllegalStateException("state directory " + dir + " is in use by another emulated host"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; give each daemon its own --state-dir");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            return new StateDirectory(dir, ch, l);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UncheckedIOException("cannot use state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return dir;
    }

    /**
     * The domains a previous host left, by domid. Unfinished creations (no record) are removed, with a warning.
     */
    List<DomainFiles> existing() {
        TreeMap<Integer, DomainFiles> found = new TreeMap<>();
        try (var entries = Files.list(dir.resolve("domains"))) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                int domid;
                try {
                    domid = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;   // not ours
                }
                DomainFiles f = new DomainFiles(p);
                if (f.complete()) {
                    found.put(domid, f);
                } else {
                    LOG.log(Level.WARNING, "{0}: a domain creation that did not finish; removed", p);
                    DomainFiles.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir.resolve("domains"), e);
        }
        return new ArrayList<>(found.values());
    }

    /** A fresh directory for {@code id} (whatever was there is gone: it was not a domain, or it was destroyed). */
    DomainFiles create(DomainId id) {
        Path p = dir.resolve("domains").resolve(Integer.toString(id.value()));
        try {
            DomainFiles.deleteTree(p);
            Files.createDirectories(p);
            syncDirectory(p.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + p, e);
        }
        return new DomainFiles(p);
    }

    /** fsync of a directory, so a rename or unlink in it is durable (Linux allows opening a directory to read). */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse fsync on a directory; the rename itself is still atomic
            if (!(e.getMessage() != null && e.getMessage().contains("Is a directory"))) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // the channel's close releases it too
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing held any more
            }
        }
    }
}
