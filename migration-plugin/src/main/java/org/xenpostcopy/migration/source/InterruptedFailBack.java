package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenHost;

/**
 * Finishes, in a restarted daemon, a fail-back its predecessor died in (a journal entry in stage
 * {@code FAILING_BACK} or {@code RESTORED}). The lease was waited out before the entry was written, and nothing here
 * grants it again, so the destination's copy stays held. {@code FAILING_BACK}: the copy may be half restored and the
 * guest has not run since the switch, so the checkpoint kept beside the entry (in the session's checkpoint log, or
 * the file written for the fail-back) is restored again, whole, and the guest resumed. {@code RESTORED}: the restore was whole and the guest may have run already — it is only resumed if it
 * is still paused, never restored again. Then the session is remembered as taken back (the destination destroys its
 * copy when it hears it) and the entry goes.
 */
final class InterruptedFailBack {
    private static final Logger LOG = System.getLogger(InterruptedFailBack.class.getName());

    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final SessionJournal journal;
    private final SessionJournal.Entry entry;
    private final DomainId domain;

    InterruptedFailBack(XenHost host, PageServer pageServer, PeerConnector peers, SessionJournal journal,
                        SessionJournal.Entry entry) {
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.journal = journal;
        this.entry = entry;
        this.domain = DomainId.of(entry.domid());
    }

    /** Runs to the end; never throws (nobody waits for it). Returns whether the guest runs here now. */
    boolean run() {
        long t0 = System.nanoTime();
        try {
            DomainInfo info = host.domains().info(domain);
            boolean paused = info.state() == DomainInfo.State.PAUSED;
            if (entry.stage() == SessionJournal.Stage.FAILING_BACK) {
                if (!paused) {
                    // The restore never ended, so no fail-back resumed it: someone else did. Not touched.
                    throw new MigrationException(domain + " is " + info.state().name().toLowerCase(Locale.ROOT)
                            + ", yet its restore from checkpoint " + entry.checkpointSeq() + " never ended: left alone");
                }
                long pages = entry.checkpointSeq() == 0 ? 0 : new CheckpointRestore(host, domain).apply(
                        checkpoint());
                journal.write(entry.at(SessionJournal.Stage.RESTORED, entry.checkpointSeq()));
                LOG.log(Level.INFO, "session {0}: {1} restored again from checkpoint {2} ({3} pages)",
                        entry.sessionId(), domain, entry.checkpointSeq(), pages);
            }
            if (host.domains().info(domain).state() == DomainInfo.State.PAUSED) {
                if (entry.checkpointSeq() == 0) {
                    host.domains().resumeAfterFailedMigration(domain);
                } else {
                    host.domains().resumeRestored(domain);     // its registers are the checkpoint's now
                }
            }
            String why = "the guest runs on the source again, " + (entry.checkpointSeq() == 0
                    ? "as it was at the switch" : "from checkpoint " + entry.checkpointSeq())
                    + " (a fail-back its daemon finished after a restart)";
            pageServer.takenBack(entry.sessionId(), why);
            journal.remove(entry.sessionId());
            String checked = entry.verify() ? host.guestProbe().map(p -> verification(p.verify(domain))).orElse("")
                    : "";
            LOG.log(Level.WARNING, "session {0}: the fail-back of {1} was finished after the daemon restarted, in {2}"
                    + " ms; the guest runs here again{3}", entry.sessionId(), domain,
                    String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e6), checked);
            TakeBackNotice.send(peers, entry, why);
            return true;
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "session {0}: the fail-back of {1} could not be finished after the daemon restarted:"
                    + " {2}; the journal entry is kept", entry.sessionId(), domain, e.getMessage());
            return false;
        }
    }

    /**
     * The checkpoint the entry names: from the file written for the fail-back if there is one (its session kept
     * no log), else from the session's checkpoint log, which held it when the fail-back began.
     */
    private CheckpointRestore.Source checkpoint() {
        Path file = journal.checkpointFile(entry.sessionId()).orElseThrow();
        if (Files.exists(file)) {
            return CheckpointFile.read(file, entry.checkpointSeq());
        }
        Path log = journal.checkpointLog(entry.sessionId()).orElseThrow();
        try {
            LoggedCheckpoint c = LoggedCheckpoint.read(log, entry.gfnCount(), entry.checkpointSeq())
                    .orElseThrow(() -> new IOException("it holds no whole checkpoint"));
            if (c.seq() != entry.checkpointSeq()) {
                throw new IOException("its newest whole checkpoint is " + c.seq() + ", the journal names "
                        + entry.checkpointSeq());
            }
            return c;
        } catch (IOException e) {
            throw new MigrationException("checkpoint " + entry.checkpointSeq() + " cannot be read from the log " + log
                    + ": " + e.getMessage(), e);
        }
    }

    private static String verification(GuestProbe.Verification v) {
        return v.clean() ? "; memory checked clean (" + v.pagesChecked() + " pages)"
                : "; memory check FAILED: " + String.join("; ", v.problems().subList(0, Math.min(3, v.problems().size())));
    }

}
