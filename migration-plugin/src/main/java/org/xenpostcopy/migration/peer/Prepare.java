package org.xenpostcopy.migration.peer;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * What the destination needs to create the domain before the switch.
 *
 * @param targetKiB    memory/target at the source, so the destination's balloon starts where the source's was
 * @param source       where the destination's demand connection reaches the source
 * @param linkMbps     shaping of the destination-to-source direction (0 = none)
 * @param unpopulated  gfns unpopulated at the source now; its size is the source's physmap span
 * @param stallMs      silence after which either side counts the link as cut and pauses the session
 * @param checkpointing reverse checkpoints and the destination's lease (post-copy, hybrid)
 */
public record Prepare(DomainConfig domain, long targetKiB, InetSocketAddress source, long linkMbps,
                      int linkLatencyMs, GfnBitmap unpopulated, MigrationMode mode, int stallMs,
                      Checkpointing checkpointing) {

    /** Without checkpoints. */
    public Prepare(DomainConfig domain, long targetKiB, InetSocketAddress source, long linkMbps, int linkLatencyMs,
                   GfnBitmap unpopulated, MigrationMode mode, int stallMs) {
        this(domain, targetKiB, source, linkMbps, linkLatencyMs, unpopulated, mode, stallMs, Checkpointing.off());
    }

    /** The destination's answer: its domain id and how long creating it took there. */
    public record Reply(int destinationDomid, double prepareMs) {
    }
}
