/**
 * The emulated Xen host: an in-process hypervisor and dom0 that behave like Xen 4.17 wherever migration
 * depends on it. Guest memory is real bytes off-heap; every gfn has a p2m type; the paging ring is a real
 * vm_event ring in Xen's byte layout; vCPUs are threads running a guest program (package {@code guest}) that
 * block on paged-out gfns exactly as Xen's mem_paging contract says; log-dirty records guest writes; xenstore
 * has watches and transactions. It is a peer of the native host, not a mock. A persistent host keeps each domain
 * in files of a state directory ({@code StateDirectory}, {@code DomainFiles}, {@code VcpuJournal}), so its domains
 * outlive the process, as Xen's outlive their toolstack.
 */
package org.xenpostcopy.xen.emulated;
