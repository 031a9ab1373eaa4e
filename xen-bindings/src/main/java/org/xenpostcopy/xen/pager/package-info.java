/**
 * The pager loop: the one piece of code that owns a domain's paging ring (take requests, ask who knows whether
 * the page is here, answer, notify). The migration's destination, {@code xlpc page-out} and the tests' pager all
 * run on it, so the ring's locking and draining rules are written once.
 */
package org.xenpostcopy.xen.pager;
