package org.xenpostcopy.migration.peer;

import java.util.List;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * One reverse checkpoint's closing record: the guest's vCPU state and hole map at the instant its pages were
 * copied, sent after them.
 *
 * @param seq         1, 2, ... per session; a newer one replaces an older one not committed
 * @param unpopulated gfns unpopulated at the destination at that instant (ballooned out there)
 * @param pageCount   pages sent for {@code seq}: the source commits only if it holds exactly these
 * @param guestOps    guest operations at that instant (-1 if the host cannot tell)
 */
public record Checkpoint(long seq, List<VcpuState> vcpus, GfnBitmap unpopulated, long pageCount, long guestOps) {
    public Checkpoint {
        vcpus = List.copyOf(vcpus);
    }
}
