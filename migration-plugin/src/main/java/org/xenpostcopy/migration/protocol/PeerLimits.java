package org.xenpostcopy.migration.protocol;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts a server's open connections, in all and per peer address, and admits a new one only below both caps — so
 * one peer (or a flood of them) cannot take every thread the server has. A refused connection is closed at once;
 * refusals are logged at most once per peer per {@link #LOG_EVERY_NANOS}, with how many there were, so a flood
 * cannot flood the log too.
 */
final class PeerLimits {
    private static final Logger LOG = System.getLogger(PeerLimits.class.getName());
    static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int maxAll;
    private final int maxPerPeer;
    private final Map<InetAddress, Integer> open = new HashMap<>();
    private final Map<InetAddress, long[]> refusals = new HashMap<>();   // {count since last line, time of line}
    private int all;

    PeerLimits(int maxAll, int maxPerPeer) {
        this.maxAll = maxAll;
        this.maxPerPeer = maxPerPeer;
    }

    /**
     * Admits a connection from {@code peer}, or refuses it.
     *
     * @return whether it was admitted; an admitted one must be {@link #release}d exactly once when it closes
     */
    synchronized boolean admit(InetAddress peer, long now) {
        int mine = open.getOrDefault(peer, 0);
        String why = all >= maxAll ? "the server has " + all + " connections, its limit"
                : mine >= maxPerPeer ? "this peer has " + mine + " connections, the limit per peer" : null;
        if (why == null) {
            open.put(peer, mine + 1);
            all++;
            refusals.remove(peer);
            return true;
        }
        long[] r = refusals.computeIfAbsent(peer, p -> new long[] {0, now - LOG_EVERY_NANOS});
        r[0]++;
        if (now - r[1] >= LOG_EVERY_NANOS) {
            LOG.log(Level.WARNING, "refused {0} connection(s) from {1}: {2}", r[0], peer.getHostAddress(), why);
            r[0] = 0;
            r[1] = now;
        }
        if (refusals.size() > maxAll) {
            refusals.clear();   // only a note for the log: it must not grow with the number of addresses seen
        }
        return false;
    }

    synchronized void release(InetAddress peer) {
        Integer mine = open.get(peer);
        if (mine == null) {
            throw new IllegalStateException("released a connection of " + peer + " that was never admitted");
        }
        if (mine == 1) {
            open.remove(peer);
        } else {
            open.put(peer, mine - 1);
        }
        all--;
    }

    synchronized int open() {
        return all;
    }

    synchronized int open(InetAddress peer) {
        return open.getOrDefault(peer, 0);
    }
}
