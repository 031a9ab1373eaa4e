/**
 * The vm_event ring in Xen 4.17's byte layout ({@code xen/vm_event.h} over {@code xen/io/ring.h}): one shared
 * 4 KiB page with producer/consumer indexes and 8 slots of 400 bytes that hold requests and, in the same slots,
 * their responses. {@link org.xenpostcopy.xen.ring.FrontRing} is the hypervisor's end (requests out,
 * responses in), {@link org.xenpostcopy.xen.ring.BackRing} the pager's. The emulated host and the native host
 * (over the page Xen maps) share this one codec.
 */
package org.xenpostcopy.xen.ring;
