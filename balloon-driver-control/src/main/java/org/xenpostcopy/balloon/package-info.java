/**
 * Dynamic self-ballooning (DSB), the paper's second contribution: a controller in dom0 that, per domain, keeps
 * lowering the guest's {@code memory/target} toward what the guest uses plus a reserve, so free pages are given
 * back to Xen and never migrated, and raises it at once when the guest reports memory pressure. It speaks only
 * xenstore. {@link org.xenpostcopy.balloon.BalloonPolicy} decides; {@link org.xenpostcopy.balloon.SelfBallooningController}
 * reads, schedules and writes.
 */
package org.xenpostcopy.balloon;
