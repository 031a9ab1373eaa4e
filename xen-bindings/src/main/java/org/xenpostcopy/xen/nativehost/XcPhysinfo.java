package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Structure;

/**
 * {@code xc_physinfo_t} = {@code struct xen_sysctl_physinfo} (Xen 4.17, x86-64: 112 bytes): the host's CPUs and
 * memory as the hypervisor counts them. Field names are C's; the layout is pinned against the header by
 * NativeLibrariesTest.
 */
@Structure.FieldOrder({"threads_per_core", "cores_per_socket", "nr_cpus", "max_cpu_id", "nr_nodes", "max_node_id",
        "cpu_khz", "capabilities", "arch_capabilities", "pad", "total_pages", "free_pages", "scrub_pages",
        "outstanding_pages", "max_mfn", "hw_cap"})
public class XcPhysinfo extends Structure {
    public int threads_per_core;
    public int cores_per_socket;
    public int nr_cpus;
    public int max_cpu_id;
    public int nr_nodes;
    public int max_node_id;
    public int cpu_khz;
    public int capabilities;
    public int arch_capabilities;
    public int pad;
    public long total_pages;
    public long free_pages;
    public long scrub_pages;
    public long outstanding_pages;
    public long max_mfn;
    public int[] hw_cap = new int[8];

    /** The byte offset of a field, for the ABI check. */
    int offsetOf(String field) {
        return fieldOffset(field);
    }
}
