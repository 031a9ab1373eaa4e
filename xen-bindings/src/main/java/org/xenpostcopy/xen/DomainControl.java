package org.xenpostcopy.xen;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Domain control, after libxenctrl's {@code xc_domain_*} calls. Every method naming a domain throws
 * {@link NoSuchDomainException} if it does not exist.
 */
public interface DomainControl {
    /** All domains, dom0 included, in id order ({@code xc_domain_getinfolist}). */
    List<DomainInfo> list();

    /** One domain ({@code xc_domain_getinfo_single}). */
    DomainInfo info(DomainId domain);

    /** The domain of that name, if any. */
    Optional<DomainId> lookup(String name);

    /**
     * Creates a domain, paused, with its memory populated. {@code boot} starts the guest program from scratch
     * (it initialises its memory); without it the memory holds whatever it holds and the vCPUs wait for a
     * context from {@link #setVcpuState}, as on the receiving side of a migration.
     */
    DomainId create(DomainConfig config, boolean boot);

    /** The configuration the domain was created with. */
    DomainConfig config(DomainId domain);

    /**
     * Memory the host can still give a new domain, in KiB ({@code xc_physinfo}'s {@code free_pages}); empty if the
     * host cannot tell, and then nothing is refused for want of it.
     */
    default OptionalLong freeMemoryKiB() {
        return OptionalLong.empty();
    }

    /** Destroys the domain and frees its memory ({@code xc_domain_destroy}). */
    void destroy(DomainId domain);

    /** Pauses every vCPU and returns once none runs ({@code xc_domain_pause}). Nests, as in Xen. */
    void pause(DomainId domain);

    void unpause(DomainId domain);

    /**
     * Pauses the domain should this process die before the fence returned is closed. On Xen a domain outlives the
     * process that runs it; the fence is a helper process that pauses it once its pipe from here closes unreleased
     * (which the kernel does when this process dies, however it dies). The emulated host's vCPUs are this
     * process's threads and stop with it, so its fence holds nothing.
     */
    default ExitFence pauseIfThisProcessDies(DomainId domain) {
        return ExitFence.NONE;
    }

    /**
     * Pauses every vCPU without waiting for one blocked on a paged-out gfn: it stops before it runs again. Xen's
     * pause does not wait for a blocked vCPU either; the emulated host's {@link #pause} does (its vCPUs stop
     * between guest operations), so this is the call for a guest that must stop even though its pages may never
     * come. Nests with {@link #pause}; undone by {@link #unpause}.
     */
    default void pauseWithoutWaiting(DomainId domain) {
        pause(domain);
    }

    /**
     * Stops the guest for the switch of a migration. The emulated host pauses it; a real guest is asked to
     * suspend itself (xenstore {@code control/shutdown = suspend}), so that on the destination its own resume
     * code rebinds event channels, grant frames and xenstore — state that lives in Xen, not in its memory.
     */
    default void suspendForMigration(DomainId domain) {
        pause(domain);
    }

    /** Undoes {@link #suspendForMigration} when a migration fails before the destination ran the guest. */
    default void resumeAfterFailedMigration(DomainId domain) {
        unpause(domain);
    }

    /**
     * Lets a suspended guest run on state restored over it from elsewhere (a reverse checkpoint: its registers and
     * memory were just set). As {@link #resumeAfterFailedMigration}, except that the suspend call's return value is
     * not rewritten: Xen's cooperative resume sets the guest's return register to "suspend cancelled", which would
     * corrupt registers that belong to the checkpoint's instant, not to a guest inside its suspend call.
     */
    default void resumeRestored(DomainId domain) {
        resumeAfterFailedMigration(domain);
    }

    /**
     * gfns the host's toolstack owns and initialises itself — the xenstore and console rings, ioreq and
     * vm_event ring pages — so a migration neither sends them nor overwrites the destination's own.
     */
    default List<Gfn> toolstackPages(DomainId domain) {
        return List.of();
    }

    /** Every vCPU's context; the domain must be paused ({@code xc_vcpu_getcontext}). */
    List<VcpuState> vcpuStates(DomainId domain);

    /** Sets one vCPU's context; the domain must be paused ({@code xc_vcpu_setcontext}). */
    void setVcpuState(DomainId domain, VcpuState state);

    /** {@code xc_domain_setmaxmem}, in KiB as Xen takes it. */
    void setMaxMemoryKiB(DomainId domain, long maxKiB);

    /**
     * The domain's p2m view: which gfns are populated (not ballooned out). Refused ({@code EBUSY}) while a pager
     * holds pages out: Xen reads a gfn's type with {@code P2M_ALLOC}, which would page every one of them back in.
     */
    GfnBitmap populated(DomainId domain);

    /**
     * Which of {@code gfns} are populated; works while a pager holds pages out, as long as {@code gfns} names none
     * of them (their type cannot be read without paging them back in: the emulated host refuses such a gfn with
     * {@code EBUSY}, Xen would page it in). What a post-copy destination reads for its hole map.
     */
    GfnBitmap populatedAmong(DomainId domain, GfnBitmap gfns);

    /**
     * The pages the domain holds, in RAM or paged out ({@code tot_pages + paged_pages}): one cheap call, and a figure
     * only its balloon or a toolstack moves (a pager's evictions and loads leave it alone), so an unchanged figure
     * says the populated set did not change in between.
     */
    long heldPages(DomainId domain);

    /**
     * Gives the listed gfns back to Xen ({@code xc_domain_decrease_reservation_exact}): their contents are gone
     * and they become unpopulated. Used by a migration's receiver to mirror the sender's ballooned-out holes.
     */
    void decreaseReservation(DomainId domain, GfnBitmap gfns);

    /**
     * Populates the listed unpopulated gfns with fresh zeroed pages ({@code xc_domain_populate_physmap_exact});
     * already populated ones are left alone.
     */
    void populate(DomainId domain, GfnBitmap gfns);
}
