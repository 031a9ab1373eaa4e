package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Structure;

/**
 * {@code xc_domaininfo_t} = {@code struct xen_domctl_getdomaininfo} (Xen 4.17, x86-64: 112 bytes). Field names
 * are C's; the layout is pinned against the header by NativeAbiTest.
 */
@Structure.FieldOrder({"domain", "pad1", "flags", "tot_pages", "max_pages", "outstanding_pages", "shr_pages",
        "paged_pages", "shared_info_frame", "cpu_time", "nr_online_vcpus", "max_vcpu_id", "ssidref", "handle",
        "cpupool", "gpaddr_bits", "pad2", "arch_emulation_flags", "arch_misc_flags"})
public class XcDomainInfo extends Structure {
    public static final int DOMINF_DYING = 1;
    public static final int DOMINF_HVM_GUEST = 1 << 1;
    public static final int DOMINF_SHUTDOWN = 1 << 2;
    public static final int DOMINF_PAUSED = 1 << 3;
    public static final int DOMINF_BLOCKED = 1 << 4;
    public static final int DOMINF_RUNNING = 1 << 5;
    public static final int DOMINF_HAP = 1 << 8;

    public short domain;
    public short pad1;
    public int flags;
    public long tot_pages;
    public long max_pages;
    public long outstanding_pages;
    public long shr_pages;
    public long paged_pages;
    public long shared_info_frame;
    public long cpu_time;
    public int nr_online_vcpus;
    public int max_vcpu_id;
    public int ssidref;
    public byte[] handle = new byte[16];
    public int cpupool;
    public byte gpaddr_bits;
    public byte[] pad2 = new byte[7];
    /** {@code struct xen_arch_domainconfig} on x86: emulation_flags, misc_flags */
    public int arch_emulation_flags;
    public int arch_misc_flags;

    /** The byte offset of a field, for the ABI check. */
    int offsetOf(String field) {
        return fieldOffset(field);
    }
}
