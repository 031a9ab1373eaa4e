package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/**
 * Keeps one domain of a persistent host on disk ({@link DomainFiles}): its vCPUs' journals (registers and the undo
 * logs that make each guest operation atomic, {@link VcpuJournal}), its record whenever it changes in a way a
 * restarted host needs — created, paused or unpaused, crashed, max memory set, its xenstore subtree written.
 * Memory and p2m need no calls: they are shared mappings of their files.
 */
final class DomainPersistence implements VcpuRecord {
    private static final Logger LOG = System.getLogger(EmulatedDomain.class.getName());   // logs as its domain does
    private final DomainFiles files;
    private final List<VcpuJournal> journals = new ArrayList<>();
    /** Guards the journals against {@link #close}: never store into an unmapped file. Uncontended otherwise. */
    private final Object journalLock = new Object();
    /** The domain whose record this keeps; null until it is built (nothing to save before). */
    private EmulatedDomain domain;
    private volatile boolean closed;

    DomainPersistence(DomainFiles files, int vcpus) {
        this.files = files;
        for (int v = 0; v < vcpus; v++) {
            journals.add(files.journal(v));
        }
    }

    DomainFiles files() {
        return files;
    }

    /** The guest's RAM in the memory file: new, or ({@code restored} not null) what a previous host left. */
    GuestPhysicalMemory memory(long pages, DomainRecord restored) {
        if (restored != null) {
            checkMemoryFile(restored);
        }
        return new GuestPhysicalMemory(pages, files.memory(), restored != null);
    }

    /** The p2m in the p2m file: new (every gfn {@code RAM_RW}), or ({@code restored} not null) as it was left. */
    P2mTable p2m(DomainId id, long pages, DomainRecord restored) {
        return restored == null ? new P2mTable(id, pages, P2mTable.RAM_RW, files.p2m(pages))
                : P2mTable.restore(id, pages, files.p2m(pages));
    }

    /** Refuses a re-attach whose memory file is not the size the record says (truncated or replaced). */
    private void checkMemoryFile(DomainRecord r) {
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

    /** A re-attach, before the vCPUs run: undoes the guest operations the previous process did not finish. */
    void rollBack(DomainId id, P2mTable p2m, GuestPhysicalMemory memory) {
        synchronized (journalLock) {
            for (int v = 0; v < journals.size(); v++) {
                VcpuJournal journal = journals.get(v);
                int n = journal.pending();
                journal.rollBack(p2m, memory);
                if (n > 0) {
                    LOG.log(Level.INFO, "{0}: undid the guest operation of vcpu{1} cut short by the previous process"
                            + " ({2} gfns)", id, v, n);
                }
            }
        }
    }

    /** The registers each vCPU committed last, vCPU 0 first (an entry null if it never had any). */
    List<VcpuRegisters> storedRegisters(String workload) {
        synchronized (journalLock) {
            List<VcpuRegisters> out = new ArrayList<>();
            for (int v = 0; v < journals.size(); v++) {
                out.add(journals.get(v).registers(v, workload));
            }
            return out;
        }
    }

    /** vCPU {@code vcpu} is about to change {@code gfn} (its bytes or type): call holding the gfn's p2m lock. */
    void beforeGuestWrite(int vcpu, long gfn, byte type, GuestPhysicalMemory memory) {
        synchronized (journalLock) {
            if (!closed) {
                journals.get(vcpu).beforeWrite(gfn, type, memory);
            }
        }
    }

    @Override
    public void commit(int vcpu, VcpuRegisters regs) {
        synchronized (journalLock) {
            if (!closed) {
                journals.get(vcpu).commit(regs);
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
            synchronized (journalLock) {
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
