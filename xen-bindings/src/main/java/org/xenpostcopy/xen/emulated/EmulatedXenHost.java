package org.xenpostcopy.xen.emulated;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;
import org.xenpostcopy.xen.emulated.guest.OracleLog;

/**
 * An in-process Xen host: hypervisor, dom0 and its xenstored. Several can live in one JVM (the lab runs two);
 * they share nothing.
 *
 * <p>Ephemeral ({@link #EmulatedXenHost(String)}): its domains live in anonymous memory and die with it. Persistent
 * ({@link #persistent}): each domain lives in files of a {@link StateDirectory}, as a Xen domain outlives its
 * toolstack — {@link #close} detaches the domains instead of destroying them, and a new host opened on the
 * directory (in this process or the next) re-attaches them.
 */
public final class EmulatedXenHost implements XenHost {
    private final String name;
    private final StateDirectory state;       // null: ephemeral
    private final List<DomainInfo> reattached = new ArrayList<>();
    private final EmulatedXenStore store;
    private final EmulatedDomainControl domainControl;
    private final Memory memory = new Memory();
    private final Paging paging = new Paging();
    private final Dirty dirtyLog = new Dirty();
    private final GuestProbe probe = new GuestProbe() {
        @Override
        public long operations(DomainId id) {
            return guestOps(id);
        }

        @Override
        public long pagesTouched(DomainId id) {
            return domain("pagesTouched", id).pagesTouched();
        }

        @Override
        public Optional<GfnBitmap> touchedPages(DomainId id) {
            return Optional.of(domain("touchedPages", id).touchedPages());
        }

        @Override
        public Optional<long[]> faultWaitNanos(DomainId id) {
            return Optional.of(domain("faultWaitNanos", id).faultWaitNanos());
        }

        @Override
        public Optional<RunBounds> runBounds(DomainId id) {
            return Optional.of(domain("runBounds", id).runBounds());
        }

        @Override
        public Verification verify(DomainId id) {
            GuestOracle.Verdict v = verifyGuest(id);
            long consoleMismatches = guestConsole(id).mismatches();
            List<String> problems = new ArrayList<>(v.problems());
            if (consoleMismatches > 0) {
                problems.add(0, "the guest's own reads found " + consoleMismatches + " bad pages: "
                        + guestConsole(id).details().get(0));
            }
            guestCrash(id).ifPresent(c -> problems.add(0, "the guest crashed: " + c));
            return new Verification(v.clean() && problems.isEmpty(), v.pagesChecked(),
                    v.mismatchedPages() + consoleMismatches, List.copyOf(problems));
        }
    };

    public EmulatedXenHost(String name) {
        this(name, null, 0);
    }

    /**
     * An ephemeral host with {@code memoryMiB} of memory for its guests, as a real host has its RAM: it refuses a
     * domain that does not fit, and reports what is left as its free memory (several hosts on one machine then
     * differ, as real ones do). 0: as much as the machine has.
     */
    public EmulatedXenHost(String name, long memoryMiB) {
        this(name, null, memoryMiB);
    }

    private EmulatedXenHost(String name, StateDirectory state, long memoryMiB) {
        this.name = name;
        this.state = state;
        this.store = new EmulatedXenStore(name);
        this.domainControl = new EmulatedDomainControl(store, state, memoryMiB * 1024);
    }

    /**
     * A host keeping its domains in {@code dir} (created if missing), re-attaching those a previous host left there.
     *
     * @throws IllegalStateException with one sentence: another host holds the directory, or a domain's files are
     *                               unreadable
     */
    public static EmulatedXenHost persistent(String name, Path dir) {
        return persistent(name, dir, 0);
    }

    /** As {@link #persistent(String, Path)}, with {@code memoryMiB} of memory for guests (0: the machine's). */
    public static EmulatedXenHost persistent(String name, Path dir, long memoryMiB) {
        StateDirectory state = StateDirectory.open(dir);
        EmulatedXenHost host = new EmulatedXenHost(name, state, memoryMiB);
        try {
            host.reattach();
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
        return host;
    }

    private void reattach() {
        for (EmulatedDomain d : Reattachment.domains(state, store)) {
            domainControl.adopt(d);
            reattached.add(d.info());
        }
    }

    /** The domains this host re-attached when it opened, as they were then (empty for an ephemeral host). */
    public List<DomainInfo> reattached() {
        return List.copyOf(reattached);
    }

    /** Where this host keeps its domains, if it is persistent. */
    public Optional<Path> stateDirectory() {
        return Optional.ofNullable(state).map(StateDirectory::path);
    }

    @Override
    public String describe() {
        return "emulated host '" + name + "'" + (state == null ? "" : ", domains kept in " + state.path());
    }

    @Override
    public DomainControl domains() {
        return domainControl;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public PagingChannel paging() {
        return paging;
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    @Override
    public XenStore store() {
        return store;
    }

    @Override
    public Optional<GuestProbe> guestProbe() {
        return Optional.of(probe);
    }

    private EmulatedDomain domain(String call, DomainId id) {
        return domainControl.domain(call, id);
    }

    // ---- what only an emulated host can show: the guest's side ----------------------------------------------

    /** Operations the guest program has completed (carried across migrations in its registers). */
    public long guestOps(DomainId id) {
        return domain("guestOps", id).vcpus.opsCompleted();
    }

    /** Times a vCPU blocked on a paged-out gfn, and the total time it stayed blocked. */
    public long vcpuFaults(DomainId id) {
        return domain("vcpuFaults", id).vcpuFaults();
    }

    public long vcpuBlockedNanos(DomainId id) {
        return domain("vcpuBlockedNanos", id).vcpuBlockedNanos();
    }

    /** The same for one vCPU, as its pace counts it (time it does not make up). */
    long vcpuBlockedOnPagesNanos(DomainId id, int vcpu) {
        return domain("vcpuBlockedOnPagesNanos", id).vcpus.blockedOnPagesNanos(vcpu);
    }

    /** The guest's memory-check console: mismatches its reads found. */
    public OracleLog guestConsole(DomainId id) {
        return domain("guestConsole", id).console();
    }

    /** Why the guest crashed, if it did. */
    public Optional<String> guestCrash(DomainId id) {
        return Optional.ofNullable(domain("guestCrash", id).vcpus.crashReason());
    }

    /** vm_event responses the hypervisor dropped (wrong version or reason). */
    public long droppedPagingResponses(DomainId id) {
        return domain("droppedPagingResponses", id).droppedPagingResponses();
    }

    /** Pauses the domain, runs the full oracle scan, unpauses it. */
    public GuestOracle.Verdict verifyGuest(DomainId id) {
        domainControl.pause(id);
        try {
            return GuestOracle.verify(memory, id, domainControl.vcpuStates(id));
        } finally {
            domainControl.unpause(id);
        }
    }

    /** Ephemeral: destroys every domain. Persistent: detaches them, each saved as it is, and unlocks the directory. */
    @Override
    public void close() {
        for (EmulatedDomain d : domainControl.removeAll()) {
            if (state == null) {
                d.destroy();
            } else {
                d.detach();
            }
        }
        store.close();
        if (state != null) {
            state.close();
        }
    }

    // ---- the interfaces ------------------------------------------------------------------------------------------

    private final class Memory implements GuestMemory {
        @Override
        public void read(DomainId id, Gfn gfn, ByteBuffer dst) {
            domain("xenforeignmemory_map", id).foreign.read(gfn.value(), dst);
        }

        @Override
        public void write(DomainId id, Gfn gfn, ByteBuffer src) {
            domain("xenforeignmemory_map", id).foreign.write(gfn.value(), src);
        }

        @Override
        public long gfnCount(DomainId id) {
            return domain("xc_domain_maximum_gpfn", id).pages();
        }

        @Override
        public P2mType typeOf(DomainId id, Gfn gfn) {
            return domain("xc_get_pfn_type_batch", id).foreign.typeOf(gfn.value());
        }
    }

    private final class Paging implements PagingChannel {
        @Override
        public PagingSession enable(DomainId id) {
            return new EmulatedPagingSession(domain("xc_mem_paging_enable", id));
        }
    }

    private final class Dirty implements DirtyLog {
        @Override
        public void enable(DomainId id) {
            domain("xc_shadow_control", id).dirty.enable();
        }

        @Override
        public GfnBitmap readAndClear(DomainId id) {
            return domain("xc_shadow_control", id).dirty.bitmap(true);
        }

        @Override
        public GfnBitmap peek(DomainId id) {
            return domain("xc_shadow_control", id).dirty.bitmap(false);
        }

        @Override
        public void disable(DomainId id) {
            domain("xc_shadow_control", id).dirty.disable();
        }
    }
}
