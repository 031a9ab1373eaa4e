package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.guest.GuestLayout;

/**
 * The emulated hypervisor's domain table and dom0's domain calls on it: create (in a {@link StateDirectory} when the
 * host is persistent), destroy, pause, vCPU context, reservation. Domids count up from 1 and are not reused.
 */
final class EmulatedDomainControl implements DomainControl {
    private final EmulatedXenStore store;
    private final StateDirectory state;       // null: ephemeral
    private final ConcurrentSkipListMap<Integer, EmulatedDomain> domains = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextDomid = new AtomicInteger(1);
    private final long memoryKiB;             // 0: as much as the machine has

    /** @param memoryKiB the host's memory for guests, as a real host has its RAM; 0: the machine's, unbounded */
    EmulatedDomainControl(EmulatedXenStore store, StateDirectory state, long memoryKiB) {
        if (memoryKiB < 0) {
            throw new IllegalArgumentException("a host's memory cannot be negative: " + memoryKiB + " KiB");
        }
        this.store = store;
        this.state = state;
        this.memoryKiB = memoryKiB;
    }

    /**
     * What this host can still give a guest: an emulated guest's memory is the machine's own, and a host given a
     * memory size has no more than that size less every domain's full size. Full, not populated: a domain arriving
     * by post-copy starts with every page out and will need each of them back, so counting only what is populated
     * would admit two such guests into room for one.
     */
    @Override
    public java.util.OptionalLong freeMemoryKiB() {
        java.util.OptionalLong measured = MachineMemory.freeKiB(state == null ? null : state.path());
        // The machine does not yet know of memory this host's domains are still being backed with (and a
        // persistent host's files are sparse until then): count it as gone already.
        long owed = domains.values().stream().mapToLong(d -> d.memory.unbackedKiB()).sum();
        java.util.OptionalLong machine = measured.isPresent()
                ? java.util.OptionalLong.of(Math.max(0, measured.getAsLong() - owed)) : measured;
        if (memoryKiB == 0) {
            return machine;
        }
        long reserved = domains.values().stream().mapToLong(d -> d.config.memoryPages() * 4).sum();
        long left = Math.max(0, memoryKiB - reserved);
        return java.util.OptionalLong.of(machine.isPresent() ? Math.min(machine.getAsLong(), left) : left);
    }

    /** The domain {@code id}, or {@link NoSuchDomainException} naming {@code call}. */
    EmulatedDomain domain(String call, DomainId id) {
        EmulatedDomain d = domains.get(id.value());
        if (d == null) {
            throw new NoSuchDomainException(call, id);
        }
        return d;
    }

    /** Takes a re-attached domain in; domids are never given again while it holds one. */
    void adopt(EmulatedDomain d) {
        domains.put(d.id.value(), d);
        nextDomid.accumulateAndGet(d.id.value() + 1, Math::max);
    }

    /** Removes every domain from the table and returns them (the host closes). */
    Collection<EmulatedDomain> removeAll() {
        List<EmulatedDomain> all = new ArrayList<>();
        for (EmulatedDomain d : new ArrayList<>(domains.values())) {
            if (domains.remove(d.id.value()) != null) {
                all.add(d);
            }
        }
        return all;
    }

    @Override
    public List<DomainInfo> list() {
        List<DomainInfo> out = new ArrayList<>();
        out.add(new DomainInfo(DomainId.DOM0, "Domain-0", 0, 0, 0, 2, DomainInfo.State.RUNNING));
        for (EmulatedDomain d : domains.values()) {
            out.add(d.info());
        }
        return out;
    }

    @Override
    public DomainInfo info(DomainId id) {
        if (id.value() == 0) {
            return list().get(0);
        }
        return domain("xc_domain_getinfo", id).info();
    }

    @Override
    public Optional<DomainId> lookup(String domainName) {
        if (domainName.equals("Domain-0")) {
            return Optional.of(DomainId.DOM0);
        }
        return domains.values().stream().filter(d -> d.config.name().equals(domainName)).map(d -> d.id).findFirst();
    }

    @Override
    public synchronized DomainId create(DomainConfig config, boolean boot) {
        if (lookup(config.name()).isPresent()) {
            throw new XenException("xc_domain_create", Errno.EEXIST, "a domain named '" + config.name() + "' exists");
        }
        if (memoryKiB > 0) {
            long free = freeMemoryKiB().orElse(Long.MAX_VALUE);
            if (config.memoryPages() * 4 > free) {
                throw new XenException("xc_domain_create", Errno.ENOMEM, config.name() + " needs "
                        + config.memoryPages() * 4 / 1024 + " MiB and the host has " + free / 1024 + " MiB free");
            }
        }
        if (config.vcpus() > GuestLayout.MAX_VCPUS) {
            throw new XenException("xc_domain_create", Errno.EINVAL, "emulated guests have 1.." + GuestLayout.MAX_VCPUS
                    + " vCPUs; " + config.name() + " asks for " + config.vcpus());
        }
        DomainId id = DomainId.of(nextDomid.getAndIncrement());
        EmulatedDomain d;
        DomainPersistence persistence = state == null ? null
                : new DomainPersistence(state.create(id), config.vcpus());
        try {
            d = new EmulatedDomain(id, config, store, boot, persistence, null);
        } catch (IllegalArgumentException e) {
            discard(persistence);
            throw new XenException("xc_domain_create", Errno.EINVAL, e.getMessage());
        } catch (RuntimeException e) {
            discard(persistence);
            throw e;
        }
        domains.put(id.value(), d);
        return id;
    }

    private void discard(DomainPersistence persistence) {
        if (persistence != null) {
            persistence.delete();
        }
    }

    @Override
    public DomainConfig config(DomainId id) {
        return domain("config", id).config;
    }

    @Override
    public void destroy(DomainId id) {
        EmulatedDomain d = domains.remove(id.value());
        if (d == null) {
            throw new NoSuchDomainException("xc_domain_destroy", id);
        }
        d.destroy();
        store.fireSpecial("@releaseDomain");
    }

    @Override
    public void pause(DomainId id) {
        domain("xc_domain_pause", id).vcpus.pause();
    }

    @Override
    public void pauseWithoutWaiting(DomainId id) {
        domain("xc_domain_pause", id).vcpus.pauseWithoutWaiting();
    }

    @Override
    public void unpause(DomainId id) {
        domain("xc_domain_unpause", id).vcpus.unpause();
    }

    @Override
    public List<VcpuState> vcpuStates(DomainId id) {
        return domain("xc_vcpu_getcontext", id).vcpus.vcpuStates();
    }

    @Override
    public void setVcpuState(DomainId id, VcpuState state) {
        domain("xc_vcpu_setcontext", id).vcpus.setVcpuState(state);
    }

    @Override
    public void setMaxMemoryKiB(DomainId id, long maxKiB) {
        domain("xc_domain_setmaxmem", id).setMaxPages(maxKiB / 4);
    }

    @Override
    public GfnBitmap populated(DomainId id) {
        EmulatedDomain d = domain("xc_get_pfn_type_batch", id);
        refuseIfPaged(d, id);
        return d.p2m.populated();
    }

    /** As Xen's {@code getpageframeinfo3} reads types with {@code P2M_ALLOC}, which pages a paged-out gfn back in. */
    private static void refuseIfPaged(EmulatedDomain d, DomainId id) {
        long paged = d.p2m.pagedPages();
        if (paged > 0) {
            throw new XenException("xc_get_pfn_type_batch", Errno.EBUSY, id + " has " + paged + " paged-out pages;"
                    + " reading its p2m types would page them all back in (ask the pager which gfns it holds instead)");
        }
    }

    @Override
    public GfnBitmap populatedAmong(DomainId id, GfnBitmap gfns) {
        P2mTable p2m = domain("xc_get_pfn_type_batch", id).p2m;
        GfnBitmap out = new GfnBitmap(gfns.size());
        for (long g = gfns.nextSet(0); g >= 0; g = gfns.nextSet(g + 1)) {
            if (g >= p2m.size()) {
                continue;     // outside the physmap: Xen reads it as XTAB, a hole
            }
            byte t = p2m.get(g);
            if (t == P2mTable.PAGED || t == P2mTable.PAGING_OUT || t == P2mTable.PAGING_IN) {
                throw new XenException("xc_get_pfn_type_batch", Errno.EBUSY, id + " gfn 0x" + Long.toHexString(g)
                        + " is paged out: reading its type would page it back in");
            }
            if (t != P2mTable.INVALID) {
                out.set(g);
            }
        }
        return out;
    }

    @Override
    public long heldPages(DomainId id) {
        return domain("xc_domain_getinfolist", id).p2m.populatedPages();
    }

    @Override
    public void decreaseReservation(DomainId id, GfnBitmap gfns) {
        EmulatedDomain d = domain("xc_domain_decrease_reservation_exact", id);
        if (gfns.size() != d.pages()) {
            throw new XenException("xc_domain_decrease_reservation_exact", Errno.EINVAL,
                    "bitmap covers " + gfns.size() + " gfns, " + id + " has " + d.pages());
        }
        // As Xen 4.17: guest_remove_page cannot remove a paged-out gfn (EILSEQ from p2m_remove_entry, the paged entry
        // having no frame), and xc's _exact call reports the batch as EINVAL. Checked before anything changes. The
        // guest's own balloon (GuestKernel) is left to give paged gfns back, deliberately: Linux's balloon scrubs a
        // page before it gives it back, which pages it in first on Xen, so a guest never meets this refusal.
        for (long g = gfns.nextSet(0); g >= 0; g = gfns.nextSet(g + 1)) {
            byte t = d.p2m.get(g);
            if (t == P2mTable.PAGED || t == P2mTable.PAGING_IN) {
                throw new XenException("xc_domain_decrease_reservation_exact", Errno.EINVAL, id + " gfn 0x"
                        + Long.toHexString(g) + " is paged out: Xen gives it back only once it is paged in");
            }
        }
        gfns.forEach(d::decreaseReservation);
    }

    @Override
    public void populate(DomainId id, GfnBitmap gfns) {
        EmulatedDomain d = domain("xc_domain_populate_physmap_exact", id);
        if (gfns.size() != d.pages()) {
            throw new XenException("xc_domain_populate_physmap_exact", Errno.EINVAL,
                    "bitmap covers " + gfns.size() + " gfns, " + id + " has " + d.pages());
        }
        gfns.forEach(g -> {
            if (!d.populatePhysmap(g)) {
                throw new XenException("xc_domain_populate_physmap_exact", Errno.ENOMEM,
                        String.format("%s is at its max memory; gfn 0x%x not populated", id, g));
            }
        });
    }
}
