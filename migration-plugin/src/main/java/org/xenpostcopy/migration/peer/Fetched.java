package org.xenpostcopy.migration.peer;

/**
 * The source's answer to a demand request: the pages it sent now, and the gfns it had already sent on the push
 * connection (they are on their way; sending them twice would break the once-only rule).
 *
 * @param granted the source still lets the guest run at the destination: the destination's lease runs from the
 *                moment this request was sent
 * @param released the source has destroyed its copy after the completion: no lease binds the guest any more
 */
public record Fetched(PageBatch pages, long[] alreadySent, int alreadySentCount, boolean granted, boolean released) {
    public Fetched(PageBatch pages, long[] alreadySent, int alreadySentCount, boolean granted) {
        this(pages, alreadySent, alreadySentCount, granted, false);
    }
}
