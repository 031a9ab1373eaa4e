package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.XenException;

/**
 * Answers the destinations' demand requests (each on its own channel and thread here). A requested page not yet
 * sent is claimed and sent in the reply, at the head of the link's queue; one already sent (by push) is named as
 * such — it is on its way, and sending it twice would break the once-only rule. Every request moves the
 * pre-paging pivot to where the guest faulted.
 *
 * <p>With checkpointing, every answer carries the lease: whether the guest may run on at the destination. Once
 * the guest has been taken back here, every call of its session is answered {@link RemoteError#TAKEN_BACK} — for
 * a while after the session itself has gone ({@link SettledSessions}, on disk with a journal, so across a restart
 * of this daemon too), so a destination that comes back late still hears it.
 */
public final class PageServer {
    private static final Logger LOG = System.getLogger(PageServer.class.getName());

    private final ConcurrentHashMap<String, SourceSession> sessions = new ConcurrentHashMap<>();
    /** Sessions over with the guest taken back or released, for destinations that call late. */
    private final SettledSessions settled;

    /** Remembers taken-back and released sessions in memory only. */
    public PageServer() {
        this(SessionJournal.none());
    }

    /** Remembers taken-back and released sessions in {@code journal} too, and answers for those it holds already. */
    public PageServer(SessionJournal journal) {
        this.settled = new SettledSessions(journal);
    }

    void register(SourceSession s) {
        sessions.put(s.id, s);
    }

    void unregister(SourceSession s) {
        String why = s.grants.takenBack();
        if (why != null) {
            settled.takenBack(s.id, why);
        }
        if (s.grants.isReleased() && !settled.isReleased(s.id)) {
            settled.released(s.id);
        }
        sessions.remove(s.id, s);
    }

    /**
     * The guest of {@code sessionId} runs here again (a fail-back a restarted daemon finished): its destination is
     * told so on its next call, and destroys its copy.
     */
    void takenBack(String sessionId, String why) {
        settled.takenBack(sessionId, why);
    }

    /** Whether an outgoing session of this id is served here now. */
    public boolean serves(String sessionId) {
        return sessionId != null && sessions.containsKey(sessionId);
    }

    /** The physmap span of an outgoing session, which every gfn asked for must be below. */
    public long gfnCount(String sessionId) {
        return session(sessionId).gfnCount;
    }

    public Fetched fetch(String sessionId, long[] wanted, int count) {
        if (count == 0) {
            // The destination's ping on an idle demand channel: it proves the channel, it asks for nothing. Answered
            // even for a session not registered (yet, or any more), but then it grants nothing.
            SourceSession s = sessionId == null ? null : sessions.get(sessionId);
            boolean wasReleased = s != null ? s.grants.isReleased() : settled.isReleased(sessionId);
            boolean granted = wasReleased || (s != null ? grant(s) : refuseIfTakenBack(sessionId));
            return new Fetched(new PageBatch(new long[0], 0, ByteBuffer.allocate(0)), new long[0], 0, granted,
                    wasReleased);
        }
        SourceSession s = session(sessionId);
        boolean granted = grant(s);
        s.demandRequests.incrementAndGet();
        s.urgentInProgress.incrementAndGet();
        try {
            return answer(s, wanted, count, granted);
        } finally {
            s.urgentInProgress.decrementAndGet();
        }
    }

    /**
     * What became of a session, for a destination holding a guest it may no longer run: released, taken back (refused
     * as {@link RemoteError#TAKEN_BACK}), or neither. Grants nothing, unlike a ping.
     */
    public boolean hasReleased(String sessionId) {
        SourceSession s = sessionId == null ? null : sessions.get(sessionId);
        if (s != null) {
            String why = s.grants.takenBack();
            if (why != null) {
                throw takenBackError(s.id, why);
            }
            return s.grants.isReleased();
        }
        return settled.isReleased(sessionId) || refuseIfTakenBack(sessionId);
    }

    /** The lease for one answer: granted unless revoked; a session taken back is refused outright. */
    private static boolean grant(SourceSession s) {
        String why = s.grants.takenBack();
        if (why != null) {
            throw takenBackError(s.id, why);
        }
        return s.grants.grant();
    }

    private boolean refuseIfTakenBack(String sessionId) {
        String why = settled.whyTakenBack(sessionId).orElse(null);
        if (why != null) {
            throw takenBackError(sessionId, why);
        }
        return false;
    }

    private static PeerException takenBackError(String id, String why) {
        return new PeerException(RemoteError.TAKEN_BACK, "the source took the guest of session " + id + " back: "
                + why);
    }

    /**
     * The copy of this session here is destroyed after its completion: its destination's pings are granted for
     * good and told so, registered or not.
     */
    void released(String sessionId) {
        SourceSession s = sessions.get(sessionId);
        if (s != null) {
            s.grants.released();
        }
        settled.released(sessionId);
    }

    /** Stages pages of a reverse checkpoint. */
    public void checkpointPages(String sessionId, long seq, PageBatch pages) {
        checkpointsOf(sessionId).pages(seq, pages);
    }

    /** Commits a reverse checkpoint whose pages are all staged. */
    public void checkpointCommit(String sessionId, Checkpoint checkpoint) {
        CheckpointStore store = checkpointsOf(sessionId);
        store.commit(checkpoint);
        if (store.commits() == 1) {
            LOG.log(Level.INFO, "outgoing session {0}: first checkpoint committed ({1} pages): should the destination"
                    + " die, the guest comes back here", sessionId, checkpoint.pageCount());
        }
    }

    private CheckpointStore checkpointsOf(String sessionId) {
        SourceSession s = session(sessionId);
        String why = s.grants.takenBack();
        if (why != null) {
            throw takenBackError(s.id, why);
        }
        if (s.checkpoints == null) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + " was started without"
                    + " checkpoints");
        }
        return s.checkpoints;
    }

    private Fetched answer(SourceSession s, long[] wanted, int count, boolean granted) {
        ByteBuffer pages = ByteBuffer.allocate(count * Gfn.PAGE_SIZE);
        long[] sentNow = new long[count];
        long[] onTheirWay = new long[count];
        int n = 0;
        int already = 0;
        // Every gfn is checked before any is claimed: a claimed page that is not sent would be lost.
        for (int i = 0; i < count; i++) {
            if (wanted[i] < 0 || wanted[i] >= s.gfnCount) {
                throw PeerException.badRequest(String.format("gfn 0x%x is outside the domain's 0..0x%x", wanted[i],
                        s.gfnCount - 1));
            }
        }
        XenException failed = null;
        for (int i = 0; i < count && failed == null; i++) {
            long g = wanted[i];
            s.policy.onFault(g);
            if (!s.sent.claim(g)) {
                onTheirWay[already++] = g;
                continue;
            }
            try {
                s.readPage(g, pages);
                sentNow[n++] = g;
            } catch (XenException e) {
                // A claimed page that is not sent would be lost: the claim is given back (the push or a later
                // fault sends it), and what was read so far still goes.
                s.sent.unclaim(g);
                pages.position(n * Gfn.PAGE_SIZE);
                failed = e;
            }
        }
        if (failed != null && n == 0) {
            throw new PeerException(RemoteError.HOST_ERROR, "reading a demanded page failed: " + failed.getMessage(),
                    failed);
        }
        long bytes = (long) n * (Gfn.PAGE_SIZE + 8) + already * 8L;
        s.link.transmit(bytes, true);
        s.link.propagate();
        s.demandPages.addAndGet(n);
        s.alreadySentAnswers.addAndGet(already);
        pages.flip();
        return new Fetched(new PageBatch(sentNow, n, pages), onTheirWay, already, granted);
    }

    private SourceSession session(String id) {
        SourceSession s = id == null ? null : sessions.get(id);
        if (s == null) {
            refuseIfTakenBack(id);
            throw new PeerException(RemoteError.UNKNOWN_SESSION, "no outgoing migration with session id '" + id + "'");
        }
        return s;
    }
}
