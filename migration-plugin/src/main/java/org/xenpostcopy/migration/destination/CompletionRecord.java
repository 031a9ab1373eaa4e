package org.xenpostcopy.migration.destination;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.report.LatencyRecorder;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GuestProbe;

/**
 * Closes a session's books: whether every page the source sent arrived once, what the guest's memory check
 * found, and the counts the report is built from. A migration counts as verified only if the pages add up and
 * the check is clean.
 */
final class CompletionRecord {
    private CompletionRecord() {
    }

    /** A session's counts when its last page loaded. */
    record Tally(long pagesReceived, long loadedAfterSwitch, long releasedByGuest, long duplicates, long rejected, long networkFaults,
                 long minorFaults, LatencyRecorder.Percentiles faultLatency, long postCopyNanos, long opsAtResume,
                 long opsAtCompletion, long touchedAtCompletion, int destinationDomid) {
    }

    /**
     * @param probe      the host's view into guest memory, if it has one
     * @param extraNotes what went wrong on the way that the record should say (e.g. memory/target not restored)
     */
    static Completion build(Tally t, Complete request, DomainId domain, Optional<GuestProbe> probe,
                            List<String> extraNotes) {
        List<String> notes = new ArrayList<>();
        // Every page arrives once; a page a recovery sent again may arrive twice (its first copy was late, not
        // lost), and the second copy is dropped: at most one duplicate per re-send.
        long distinctSent = request.pagesSent() - request.pagesResent();
        if (distinctSent != t.pagesReceived()) {
            notes.add("the source sent " + distinctSent + " distinct pages, " + t.pagesReceived() + " arrived");
        }
        if (request.pagesResent() > 0) {
            notes.add(request.pagesResent() + " pages sent again after a cut, " + t.duplicates()
                    + " of them arrived twice (dropped)");
        }
        if (t.releasedByGuest() > 0) {
            notes.add(t.releasedByGuest() + " pages arrived after the guest had given them back (dropped, not loaded)");
        }
        if (t.rejected() > 0) {
            notes.add(t.rejected() + " malformed pages or batches refused (none loaded)");
        }
        boolean accounted = distinctSent == t.pagesReceived() && t.duplicates() <= request.pagesResent();
        boolean verified = false;
        long mismatched = 0;
        if (!request.verify()) {
            notes.add("not checked (verification off)");
        } else if (probe.isEmpty()) {
            notes.add("this host cannot check guest memory");
        } else {
            GuestProbe.Verification v = probe.get().verify(domain);
            verified = v.clean() && accounted;
            mismatched = v.mismatchedPages();
            if (v.clean()) {
                notes.add(0, "guest memory checked: " + v.pagesChecked() + " pages");
            } else {
                notes.addAll(v.problems().subList(0, Math.min(5, v.problems().size())));
            }
        }
        notes.addAll(extraNotes);
        LatencyRecorder.Percentiles p = t.faultLatency();
        return new Completion(t.pagesReceived(), t.duplicates(), t.networkFaults(), t.minorFaults(),
                new Completion.Latency(p.p50(), p.p99(), p.max()), t.postCopyNanos(), t.opsAtResume(),
                t.opsAtCompletion(), t.touchedAtCompletion(), verified, mismatched, String.join("; ", notes),
                t.destinationDomid());
    }
}
