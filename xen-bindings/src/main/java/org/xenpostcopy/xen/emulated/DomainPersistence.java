package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/**
 * Keeps one domain of a persistent host on disk ({@link DomainFiles}): its registers after every guest operation,
 * its record whenever it changes in a way a restarted host needs — created, paused or unpaused, crashed, max memory
 * set, its xenstore subtree written. Memory and p2m need no calls: they are shared mappings of their files.
 */
final class DomainPersistence implements VcpuRecord {
    private final DomainFiles files;
    private final RegisterFile registers;
    private final Object registerLock = new Object();
    /** The domain whose record this keeps; null until it is built (nothing to save before). */
    private EmulatedDomain domain;
    private volatile boolean closed;

    DomainPersistence(DomainFiles files) {
        this.files = files;
        this.registers = files.registers();
    }

    DomainFiles files() {
        return files;
    }

    /** Refuses a re-attach whose memory file is not the size the record says (truncated or replaced). */
    void checkMemoryFile(DomainRecord r) {
        try {
            long size = Files.size(files.dir().resolve("memory"));
            if (size != DomainFiles.memoryBytes(r.config().memoryPages())) {
                throw new IllegalStateException(files.dir() + "/memory holds " + size + " bytes; " + r.id() + " has "
                        + r.config().memoryPages() + " pages");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + files.dir() + "/memory", e);
        }
    }

    /** The registers stored last, or null if the vCPU never had any. */
    VcpuRegisters storedRegisters(String workload) {
        synchronized (registerLock) {
            return registers.load(workload);
        }
    }

    @Override
    public void registersChanged(VcpuRegisters regs) {
        synchronized (registerLock) {      // uncontended but for close: never store into an unmapped file
            if (!closed) {
                registers.store(regs);
            }
        }
    }

    @Override
    public void runStateChanged() {
        save();
    }

    /** The domain is built: write its first record (for a new domain, the moment it becomes one). */
    synchronized void attach(EmulatedDomain d) {
        domain = d;
        save();
    }

    synchronized void save() {
        if (domain != null && !closed) {
            files.write(domain.record());
        }
    }

    /** Unmaps the files, keeping them: the host object closes, the domain lives on. */
    void close() {
        synchronized (this) {
            synchronized (registerLock) {
                closed = true;
            }
        }
        files.close();
    }

    /** The domain was destroyed: its files go. */
    void delete() {
        close();
        files.delete();
    }

    /** The subtree under {@code home}: path relative to it → value. Nodes removed while it reads are left out. */
    static Map<String, String> readSubtree(XenStore store, String home) {
        Map<String, String> out = new TreeMap<>();
        walk(store, home, "", out);
        return out;
    }

    private static void walk(XenStore store, String home, String rel, Map<String, String> out) {
        String path = rel.isEmpty() ? home : home + "/" + rel;
        try {
            store.read(path).ifPresent(v -> {
                if (!rel.isEmpty()) {
                    out.put(rel, v);
                }
            });
            for (String child : store.directory(path)) {
                walk(store, home, rel.isEmpty() ? child : rel + "/" + child, out);
            }
        } catch (XenException e) {
            // removed meanwhile
        }
    }

    /** Writes a saved subtree back under {@code home}. */
    static void writeSubtree(XenStore store, String home, Map<String, String> nodes) {
        store.mkdir(home);
        new TreeMap<>(nodes).forEach((rel, v) -> {
            if (v.isEmpty()) {
                store.mkdir(home + "/" + rel);
            } else {
                store.write(home + "/" + rel, v);
            }
        });
    }
}
