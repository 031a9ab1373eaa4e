package org.xenpostcopy.migration.source;

import java.util.List;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenHost;

/**
 * Writes a reverse checkpoint over the source's paused copy: the holes the guest's balloon made or filled at the
 * destination, every page it changed there, its vCPU state. The result depends only on the copy as it was at the
 * switch and the checkpoint, never on how much of an earlier attempt was done — as long as the guest has not run in
 * between — so a restore cut short (a daemon that died) is made whole by running it again.
 */
final class CheckpointRestore {
    /** A checkpoint to restore: from the in-memory store, or from the file a restarted daemon reads. */
    interface Source {
        long seq();

        GfnBitmap unpopulated();

        List<VcpuState> vcpus();

        /** Gives every page of the checkpoint to {@code write}. */
        void forEachPage(CheckpointStore.PageWriter write);
    }

    private final XenHost host;
    private final DomainId domain;

    CheckpointRestore(XenHost host, DomainId domain) {
        this.host = host;
        this.domain = domain;
    }

    /** Restores {@code c} over the paused copy; returns the pages written. */
    long apply(Source c) {
        restoreHoles(c.unpopulated());
        long[] restored = {0};
        c.forEachPage((gfn, page) -> {
            host.memory().write(domain, Gfn.of(gfn), page);
            restored[0]++;
        });
        for (VcpuState v : c.vcpus()) {
            host.domains().setVcpuState(domain, v);
        }
        return restored[0];
    }

    /** Makes the paused copy's holes those of the checkpoint: the guest's balloon moved at the destination. */
    private void restoreHoles(GfnBitmap unpopulatedThere) {
        GfnBitmap populatedHere = host.domains().populated(domain);
        GfnBitmap release = populatedHere.copy();
        GfnBitmap stillPopulatedThere = GfnBitmap.full(unpopulatedThere.size());
        stillPopulatedThere.andNot(unpopulatedThere);
        release.andNot(stillPopulatedThere);
        GfnBitmap populate = stillPopulatedThere;
        populate.andNot(populatedHere);
        for (Gfn g : host.domains().toolstackPages(domain)) {
            release.clear(g.value());
            populate.clear(g.value());
        }
        if (!release.isEmpty()) {
            host.domains().decreaseReservation(domain, release);
        }
        if (!populate.isEmpty()) {
            host.domains().populate(domain, populate);
        }
    }
}
