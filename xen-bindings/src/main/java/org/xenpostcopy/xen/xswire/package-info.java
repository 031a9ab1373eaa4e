/**
 * The xenstore wire protocol ({@code xsd_sockmsg}, xen/io/xs_wire.h): the message codec, a pure-Java client over
 * xenstored's unix socket (so the plug-in needs no libxenstore), and a server that offers any {@link
 * org.xenpostcopy.xen.XenStore} — the emulated host's — on a unix socket, so Debian's {@code xenstore-*} tools and the
 * real libxenstore can talk to it.
 */
package org.xenpostcopy.xen.xswire;
