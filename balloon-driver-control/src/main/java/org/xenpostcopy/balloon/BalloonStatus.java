package org.xenpostcopy.balloon;

import org.xenpostcopy.xen.DomainId;

/**
 * What the controller knows of one managed domain, for {@code xlpc dsb status}.
 *
 * @param lastDecision why the target was (or was not) changed last time
 * @param problem      the last reason the guest's figures could not be used, or null
 */
public record BalloonStatus(DomainId domain, boolean managed, long originalTargetKiB, long targetKiB, long usedKiB,
                            long freeKiB, long pressureEvents, long adjustments, String lastDecision, String problem) {
}
