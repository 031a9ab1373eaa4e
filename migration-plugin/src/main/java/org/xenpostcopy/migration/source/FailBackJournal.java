package org.xenpostcopy.migration.source;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Journals a fail-back as it goes ({@link SessionJournal.Stage}): before the copy is touched, the checkpoint to
 * restore is on disk beside the entry and the entry becomes {@code FAILING_BACK}; once the copy is whole it becomes
 * {@code RESTORED}, just before the resume. The checkpoint is on disk already when the session's checkpoint log holds
 * it (every commit is synced there before it is acknowledged, and the log is neither appended to nor compacted once
 * the store is frozen): a restarted daemon restores it from the log ({@link LoggedCheckpoint}). Only a store without
 * that log (it could not be made) has it written whole first ({@link CheckpointFile}). If the checkpoint or the entry cannot be written, the entry is removed
 * instead: a restarted daemon then leaves the copy paused for an administrator, rather than serve a copy that may
 * be half restored.
 */
final class FailBackJournal implements FailBack.Steps {
    private static final Logger LOG = System.getLogger(FailBackJournal.class.getName());

    private final SessionJournal journal;
    private final SessionJournal.Entry entry;
    private long seq;
    private boolean kept;

    FailBackJournal(SessionJournal journal, SessionJournal.Entry entry) {
        this.journal = journal;
        this.entry = entry;
    }

    @Override
    public void restoring(Optional<CheckpointStore.Committed> checkpoint, CheckpointStore store) {
        if (!journal.durable()) {
            return;
        }
        seq = checkpoint.map(CheckpointStore.Committed::seq).orElse(0L);
        try {
            if (checkpoint.isPresent() && !store.keptIn(journal.checkpointLog(entry.sessionId()).orElseThrow())) {
                long t0 = System.nanoTime();
                CheckpointFile.write(journal.checkpointFile(entry.sessionId()).orElseThrow(), checkpoint.get(), store);
                LOG.log(Level.INFO, "session {0}: checkpoint {1} ({2} pages) kept on disk for the fail-back in {3} ms",
                        entry.sessionId(), seq, checkpoint.get().pageCount(),
                        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e6));
            }
            kept = journal.write(entry.at(SessionJournal.Stage.FAILING_BACK, seq));
        } catch (IOException e) {
            LOG.log(Level.ERROR, "session {0}: checkpoint {1} could not be kept on disk: {2}", entry.sessionId(), seq,
                    e.getMessage());
        }
        if (!kept) {
            journal.remove(entry.sessionId());
            LOG.log(Level.ERROR, "session {0}: the fail-back is not journaled; should this daemon die before it ends,"
                    + " the copy of dom{1} stays paused for an administrator", entry.sessionId(), entry.domid());
        }
    }

    @Override
    public void restored() {
        if (kept) {
            journal.write(entry.at(SessionJournal.Stage.RESTORED, seq));
        }
    }
}
