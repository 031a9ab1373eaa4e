/**
 * A pager for one running domain, outside any migration: pages part of its memory out into the daemon and
 * serves the guest's faults from there, as Xen's xenpaging does. It exercises the paging interface on its own
 * (the real-Xen lab uses it to prove the native pager against a hypervisor before migrating).
 */
package org.xenpostcopy.migration.pager;
