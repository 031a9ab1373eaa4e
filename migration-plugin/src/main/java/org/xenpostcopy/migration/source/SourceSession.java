package org.xenpostcopy.migration.source;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.prepaging.PrePagingPolicy;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.XenHost;

/** What the push scheduler and the page server share about one outgoing migration. */
final class SourceSession {
    final String id;
    final XenHost host;
    final DomainId domain;
    final long gfnCount;
    final SentPages sent;
    final PrePagingPolicy policy;
    final LinkShaper link;
    final AtomicLong pushedPages = new AtomicLong();
    final AtomicLong demandPages = new AtomicLong();
    final AtomicLong demandRequests = new AtomicLong();
    final AtomicLong alreadySentAnswers = new AtomicLong();
    /** What the connections this side opens to the destination carry, from prepare on (reconnects included). */
    final WireBytes wire;
    /**
     * For a session a restarted daemon took over: what the destination had settled (post-copy) and received (in
     * all) when it did; 0 otherwise. This daemon's own counts start after them.
     */
    volatile long settledBeforeRestart;
    volatile long receivedBeforeRestart;
    /** Pages sent again because a recovery found them missing at the destination. */
    final AtomicLong resentPages = new AtomicLong();
    /** Demand requests being answered now: the push steps aside for them (QEMU drains its urgent queue first). */
    final AtomicInteger urgentInProgress = new AtomicInteger();
    /** Guest operations at the destination, as its last heartbeat answer said (-1: unknown). */
    volatile long destinationGuestOps = -1;
    /** The destination's lease on the guest, as granted from here. */
    final LeaseGrants grants = new LeaseGrants();
    /** The destination's reverse checkpoints; null without checkpointing. */
    final CheckpointStore checkpoints;

    SourceSession(String id, XenHost host, DomainId domain, long gfnCount, SentPages sent, PrePagingPolicy policy,
                  LinkShaper link) {
        this(id, host, domain, gfnCount, sent, policy, link, null, new WireBytes());
    }

    SourceSession(String id, XenHost host, DomainId domain, long gfnCount, SentPages sent, PrePagingPolicy policy,
                  LinkShaper link, CheckpointStore checkpoints, WireBytes wire) {
        this.wire = wire;
        this.checkpoints = checkpoints;
        this.id = id;
        this.host = host;
        this.domain = domain;
        this.gfnCount = gfnCount;
        this.sent = sent;
        this.policy = policy;
        this.link = link;
    }

    /** Copies one guest page into {@code dst} at its position. The domain is paused: the page cannot change. */
    void readPage(long gfn, ByteBuffer dst) {
        host.memory().read(domain, Gfn.of(gfn), dst);
    }

    long pagesSent() {
        return pushedPages.get() + demandPages.get();
    }

    /** Distinct pages sent: every send, less the re-sends of pages a recovery found missing. */
    long distinctPagesSent() {
        return pagesSent() - resentPages.get();
    }
}
