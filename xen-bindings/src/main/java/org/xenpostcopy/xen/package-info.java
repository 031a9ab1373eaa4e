/**
 * The host-facing interfaces of xen-postcopy, in plain Java types.
 *
 * <p>{@link org.xenpostcopy.xen.XenHost} is the façade; its parts mirror Xen 4.17's libraries:
 * {@link org.xenpostcopy.xen.DomainControl} (libxenctrl domain calls), {@link org.xenpostcopy.xen.GuestMemory}
 * (foreign memory), {@link org.xenpostcopy.xen.PagingChannel} (vm_event ring + {@code xc_mem_paging_*}),
 * {@link org.xenpostcopy.xen.DirtyLog} (shadow log-dirty) and {@link org.xenpostcopy.xen.XenStore} (libxenstore).
 * Two implementations exist: {@code emulated} (an in-process Xen host) and, later, {@code nativehost} (JNA).
 * Code above this package never learns which one it talks to.
 */
package org.xenpostcopy.xen;
