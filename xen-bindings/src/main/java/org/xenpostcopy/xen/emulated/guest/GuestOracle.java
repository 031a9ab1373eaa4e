package org.xenpostcopy.xen.emulated.guest;

import static org.xenpostcopy.xen.emulated.guest.GuestLayout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.VcpuState;

/**
 * The final full scan of an emulated guest's memory, from dom0 through {@link GuestMemory} (foreign reads), so
 * it can judge a guest on any host that holds it. It checks that
 * <ol>
 *   <li>every populated data page holds exactly the (gfn, version) its frame-table entry records;</li>
 *   <li>every ballooned-out gfn is unpopulated, and every gfn the guest holds is populated;</li>
 *   <li>the versions in the frame table add up to the writes the superblock counted, and the superblock's
 *       count of each vCPU's writes equals what that vCPU's registers counted (so a stale frame table, superblock
 *       or context shows);</li>
 *   <li>the page table maps each used page exactly once, and the superblock's free/used/ballooned counts hold.</li>
 * </ol>
 * The domain should be paused (or its guest idle), and no gfn paged out.
 */
public final class GuestOracle {
    private GuestOracle() {
    }

    private static final int DETAIL_LIMIT = 50;

    /** The verdict: pages checked, pages wrong (with the first few reasons). */
    public record Verdict(long pagesChecked, long mismatchedPages, List<String> problems) {
        public boolean clean() {
            return mismatchedPages == 0 && problems.isEmpty();
        }
    }

    /**
     * Scans the guest. {@code vcpus} (may be empty) are its vCPU contexts, for the cross-check of write counts.
     */
    public static Verdict verify(GuestMemory memory, DomainId domain, List<VcpuState> vcpus) {
        List<String> problems = new ArrayList<>();
        ByteBuffer page = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ft = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long gfnCount = memory.gfnCount(domain);
        read(memory, domain, 0, page);
        if (page.getLong(SB_MAGIC) != MAGIC) {
            return new Verdict(1, 1, List.of("superblock (gfn 0) has no guest magic: not an emulated guest, or lost"));
        }
        long seed = page.getLong(SB_SEED);
        long pages = page.getLong(SB_PAGES);
        if (pages != gfnCount) {
            return new Verdict(1, 1, List.of("superblock says " + pages + " pages, the domain has " + gfnCount));
        }
        GuestLayout layout = GuestLayout.forPages(pages);
        long sbVcpuWrites = page.getLong(SB_VCPU_WRITES);
        long sbKernelWrites = page.getLong(SB_KERNEL_WRITES);
        long sbFree = page.getLong(SB_FREE);
        long sbUsed = page.getLong(SB_USED);
        long sbBallooned = page.getLong(SB_BALLOONED);
        long sbVcpus = page.getLong(GuestLayout.SB_VCPUS);
        long[] sbWritesByVcpu = new long[GuestLayout.MAX_VCPUS];
        for (int v = 0; v < sbWritesByVcpu.length; v++) {
            sbWritesByVcpu[v] = page.getLong(GuestLayout.SB_WRITES_BY_VCPU + v * 8);
        }

        long checked = 1;
        long mismatched = 0;
        long versionSum = 0;
        long free = 0;
        long used = 0;
        long ballooned = 0;
        long[] usedGfns = new long[(int) ((pages + 63) >>> 6)];
        for (long gfn = layout.dataStart(); gfn < pages; gfn++) {
            if (gfn == layout.dataStart() || gfn % ENTRIES_PER_PAGE == 0) {
                read(memory, domain, layout.frameEntryGfn(gfn), ft);
                checked++;
            }
            long entry = ft.getLong(layout.frameEntryOffset(gfn));
            int state = GuestLayout.state(entry);
            long version = GuestLayout.version(entry);
            versionSum += version;
            P2mType type = memory.typeOf(domain, Gfn.of(gfn));
            switch (state) {
                case BALLOONED -> {
                    ballooned++;
                    if (type != P2mType.INVALID) {
                        mismatched++;
                        note(problems, String.format("gfn 0x%x is ballooned out but populated (%s)", gfn, type));
                    }
                    continue;
                }
                case FREE -> free++;
                case USED -> {
                    used++;
                    usedGfns[(int) (gfn >>> 6)] |= 1L << gfn;
                }
                default -> {
                    mismatched++;
                    note(problems, String.format("gfn 0x%x: frame table entry 0x%x has no valid state", gfn, entry));
                    continue;
                }
            }
            if (type != P2mType.RAM_RW && type != P2mType.PAGING_OUT) {
                mismatched++;
                note(problems, String.format("gfn 0x%x is %s, not present", gfn, type));
                continue;
            }
            read(memory, domain, gfn, page);
            checked++;
            if (!PagePattern.matches(page, 0, seed, gfn, version)) {
                mismatched++;
                note(problems, String.format("gfn 0x%x: expected version %d, page claims gfn 0x%x version %d", gfn,
                        version, PagePattern.claimedGfn(page, 0), PagePattern.claimedVersion(page, 0)));
            }
        }
        if (versionSum != sbVcpuWrites + sbKernelWrites) {
            note(problems, "frame table versions add up to " + versionSum + " but the superblock counted "
                    + (sbVcpuWrites + sbKernelWrites) + " writes (a stale frame table or superblock)");
        }
        if (!vcpus.isEmpty()) {
            checkVcpuWrites(vcpus, sbVcpus, sbVcpuWrites, sbWritesByVcpu, problems);
        }
        if (free != sbFree || used != sbUsed || ballooned != sbBallooned) {
            note(problems, String.format("frame table has %d free / %d used / %d ballooned, superblock says %d / %d / %d",
                    free, used, ballooned, sbFree, sbUsed, sbBallooned));
        }
        long mappings = 0;
        for (long pt = 0; pt < layout.pageTablePages(); pt++) {
            read(memory, domain, layout.pageTableStart() + pt, page);
            checked++;
            for (int i = 0; i < ENTRIES_PER_PAGE; i++) {
                long e = page.getLong(i * 8);
                if (e == 0) {
                    continue;
                }
                long gfn = e - 1;
                if (gfn < layout.dataStart() || gfn >= pages || (usedGfns[(int) (gfn >>> 6)] & (1L << gfn)) == 0) {
                    note(problems, String.format("virtual page %d maps gfn 0x%x, which is not a used page",
                            pt * ENTRIES_PER_PAGE + i, gfn));
                } else {
                    usedGfns[(int) (gfn >>> 6)] &= ~(1L << gfn);
                    mappings++;
                }
            }
        }
        if (mappings != used) {
            note(problems, "page table maps " + mappings + " pages once, but " + used + " are used");
        }
        return new Verdict(checked, mismatched, List.copyOf(problems));
    }

    /** Each vCPU's registers counted the writes the superblock counted for it, and together the guest-wide count. */
    private static void checkVcpuWrites(List<VcpuState> vcpus, long sbVcpus, long sbVcpuWrites, long[] sbWritesByVcpu,
                                        List<String> problems) {
        if (sbVcpus == 0) {
            sbVcpus = vcpus.size();          // booted before the superblock counted per vCPU: the sum is all there is
            java.util.Arrays.fill(sbWritesByVcpu, -1);
        }
        if (vcpus.size() != sbVcpus) {
            note(problems, "the guest booted with " + sbVcpus + " vCPUs, " + vcpus.size() + " contexts were given");
            return;
        }
        long regWrites = 0;
        for (VcpuState v : vcpus) {
            VcpuRegisters regs = VcpuRegisters.load(v.context());
            regWrites += regs.writes;
            if (regs.vcpu < 0 || regs.vcpu >= sbVcpus) {
                note(problems, "a context of vcpu" + regs.vcpu + " in a guest of " + sbVcpus + " vCPUs");
            } else if (sbWritesByVcpu[regs.vcpu] >= 0 && regs.writes != sbWritesByVcpu[regs.vcpu]) {
                note(problems, "vcpu" + regs.vcpu + "'s registers counted " + regs.writes + " page writes, the superblock "
                        + sbWritesByVcpu[regs.vcpu] + " (stale superblock or registers)");
            }
        }
        if (regWrites != sbVcpuWrites) {
            note(problems, "vCPU registers counted " + regWrites + " page writes, the superblock " + sbVcpuWrites
                    + " (stale superblock)");
        }
    }

    private static void read(GuestMemory memory, DomainId domain, long gfn, ByteBuffer into) {
        into.clear();
        memory.read(domain, Gfn.of(gfn), into);
        into.clear();
    }

    private static void note(List<String> problems, String what) {
        if (problems.size() < DETAIL_LIMIT) {
            problems.add(what);
        }
    }
}
