/**
 * The program that runs inside an emulated guest: a small kernel ({@link org.xenpostcopy.xen.emulated.guest.GuestKernel})
 * whose every byte of state lives in guest memory (superblock, frame table, page table), its balloon driver, and
 * the paper's workloads. Every page the guest writes carries a verifiable pattern of (gfn, version), and the
 * frame table records each page's version, so {@link org.xenpostcopy.xen.emulated.guest.GuestOracle} can tell a
 * lost, stale or corrupted page from a good one — on every read and in a final scan.
 */
package org.xenpostcopy.xen.emulated.guest;
