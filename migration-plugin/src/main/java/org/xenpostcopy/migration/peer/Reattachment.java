package org.xenpostcopy.migration.peer;

import org.xenpostcopy.xen.GfnBitmap;

/**
 * The destination's answer to a source that reconnects after a cut (or after its daemon restarted).
 *
 * @param missing       the gfns it still waits for: the source sends each of them again
 * @param pagesSettled  post-copy pages loaded (or given back by the guest) there so far
 * @param pagesReceived every page it has taken in the session, pre-copy ones included: the books a restarted
 *                      source, which counted nothing itself, starts from
 */
public record Reattachment(GfnBitmap missing, long pagesSettled, long pagesReceived) {
}
