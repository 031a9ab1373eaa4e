/**
 * The native host: JNA bindings to Debian's Xen 4.17 libraries, one interface per C library ({@link
 * org.xenpostcopy.xen.nativehost.LibXenCtrl}, {@link org.xenpostcopy.xen.nativehost.LibXenStore},
 * {@link org.xenpostcopy.xen.nativehost.LibXenEvtchn}, {@link org.xenpostcopy.xen.nativehost.LibXenForeignMemory}),
 * functions and structure fields under their C names; every return code goes through {@link
 * org.xenpostcopy.xen.nativehost.XenErrors}. No JNA type leaves this package.
 */
package org.xenpostcopy.xen.nativehost;
