package org.xenpostcopy.migration.peer;

/**
 * The source's answer to a demand request: the pages it sent now, and the gfns it had already sent on the push
 * connection (they are on their way; sending them twice would break the once-only rule).
 *
 * @param granted the source still lets the guest run at the destination: the destination's lease runs from the
 *                moment this request was sent
 */
public record Fetched(PageBatch pages, long[] alreadySent, int alreadySentCount, boolean granted) {
}
