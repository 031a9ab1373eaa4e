package org.xenpostcopy.migration.peer;

import java.util.List;
import java.util.Optional;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The switch: the guest's vCPU state and the final hole map.
 *
 * @param pagesSentBefore pages pushed before this call (pre-copy); the destination waits for all of them first
 * @param outstanding     hybrid: the gfns still to come by post-copy
 * @param targetKiB       the guest's memory/target at the source when it was paused (0 = unknown): the
 *                        destination's balloon must start from it, not from the older one prepare carried, or
 *                        the guest would give back pages that are still on their way
 */
public record Resume(List<VcpuState> vcpus, GfnBitmap unpopulated, long pagesSentBefore,
                     Optional<GfnBitmap> outstanding, long targetKiB) {
    public Resume {
        vcpus = List.copyOf(vcpus);
    }

    /**
     * @param resumeMs  from the destination receiving the call to the domain running there (part of the downtime)
     * @param handlerMs from receiving the call to sending this reply
     */
    public record Reply(double resumeMs, double handlerMs) {
    }
}
