package org.xenpostcopy.migration.source;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;

/**
 * The source's record, on disk, of each migration that has paused its guest: what a restarted daemon needs to
 * finish serving it (the guest outlives the daemon, as a Xen domain outlives its toolstack). One small file per
 * session, written whole (temporary file, fsync, atomic rename) just before the pause and again once the
 * destination has the guest, and removed when the migration ends either way. No sent bitmap is kept: after a restart the
 * destination's own list of missing pages says what is still owed, so nothing needs writing while pages move. With
 * reverse checkpoints, each one committed is kept beside the entry as it commits ({@link CheckpointLog},
 * {@code <session>.checkpoints}), so a restarted daemon can still fail back to the newest.
 *
 * <p>A fail-back is journaled too ({@link Stage}), with the checkpoint it restores, so a daemon that dies in the
 * middle of one is finished by the next; and sessions that ended with the guest taken back or released are kept a
 * while ({@link Settled}, {@code <session>.settled.json}), so a destination that calls late is answered rightly by a
 * restarted daemon too.
 */
public final class SessionJournal {
    private static final Logger LOG = System.getLogger(SessionJournal.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final String SUFFIX = ".session.json";
    private static final String SETTLED_SUFFIX = ".settled.json";
    private static final String CHECKPOINT_SUFFIX = ".checkpoint";
    private static final String CHECKPOINT_LOG_SUFFIX = ".checkpoints";

    /**
     * Where a journaled session stands, as far as a restarted daemon must know.
     *
     * <ul>
     * <li>{@code MIGRATING}: the guest was paused here for the switch; a restart finishes the migration.
     * <li>{@code FAILING_BACK}: the destination was given up on (its lease waited out) and the paused copy is being
     * restored from checkpoint {@code checkpointSeq} (kept beside the entry: in the session's checkpoint log, or in a
     * {@link CheckpointFile} if it kept none); the copy may be half restored, so a restart never serves it: it
     * restores it again — the guest has not run since the switch, so writing the same checkpoint twice gives the
     * same guest — and resumes it.
     * <li>{@code RESTORED}: the restore is whole; the guest is being resumed (it may have run already): a restart
     * only makes sure it runs, never restores again over a guest that may have run.
     * </ul>
     */
    public enum Stage { MIGRATING, FAILING_BACK, RESTORED }

    /**
     * One migration past its pause.
     *
     * @param handedOver   the destination confirmed the resume: the guest runs there (else it may or may not)
     * @param restoreTargetKiB memory/target to give the guest back at completion (0 = leave it)
     * @param stage        null in entries written before stages existed: {@code MIGRATING}
     * @param checkpointSeq the checkpoint a fail-back restores (0: none, the copy as it was at the switch)
     * @param checkpointIntervalMs the session's reverse checkpoints (0 in entries without: none, no fail-back)
     * @param leaseMs      the lease the destination runs the guest on (0: none)
     */
    public record Entry(String sessionId, int domid, String destinationHost, int destinationPort, long gfnCount,
                        String prepaging, int batchPages, long linkMbps, int linkLatencyMs, int stallMs,
                        long giveUpMs, long timeoutMs, boolean verify, long restoreTargetKiB, boolean handedOver,
                        Stage stage, long checkpointSeq, int checkpointIntervalMs, int leaseMs) {
        public Entry {
            stage = stage == null ? Stage.MIGRATING : stage;
        }

        public Entry(String sessionId, int domid, String destinationHost, int destinationPort, long gfnCount,
                     String prepaging, int batchPages, long linkMbps, int linkLatencyMs, int stallMs,
                     long giveUpMs, long timeoutMs, boolean verify, long restoreTargetKiB, boolean handedOver) {
            this(sessionId, domid, destinationHost, destinationPort, gfnCount, prepaging, batchPages, linkMbps,
                    linkLatencyMs, stallMs, giveUpMs, timeoutMs, verify, restoreTargetKiB, handedOver,
                    Stage.MIGRATING, 0, 0, 0);
        }

        Entry handedOverNow() {
            return new Entry(sessionId, domid, destinationHost, destinationPort, gfnCount, prepaging, batchPages,
                    linkMbps, linkLatencyMs, stallMs, giveUpMs, timeoutMs, verify, restoreTargetKiB, true, stage,
                    checkpointSeq, checkpointIntervalMs, leaseMs);
        }

        Entry at(Stage next, long seq) {
            return new Entry(sessionId, domid, destinationHost, destinationPort, gfnCount, prepaging, batchPages,
                    linkMbps, linkLatencyMs, stallMs, giveUpMs, timeoutMs, verify, restoreTargetKiB, handedOver, next,
                    seq, checkpointIntervalMs, leaseMs);
        }

        /** The session with {@code c}'s checkpoints and lease. */
        Entry checkpointed(Checkpointing c) {
            return new Entry(sessionId, domid, destinationHost, destinationPort, gfnCount, prepaging, batchPages,
                    linkMbps, linkLatencyMs, stallMs, giveUpMs, timeoutMs, verify, restoreTargetKiB, handedOver, stage,
                    checkpointSeq, c.intervalMs(), c.enabled() ? c.leaseMs() : 0);
        }

        /** The session's checkpoints, as the destination takes them (off in entries written before they were kept). */
        Checkpointing checkpointing() {
            return checkpointIntervalMs > 0 && leaseMs > 0 ? new Checkpointing(checkpointIntervalMs, leaseMs)
                    : Checkpointing.off();
        }
    }

    /**
     * An outgoing session that is over but whose destination may still call: the guest was taken back here, or
     * released after completion. Kept until {@code keepUntilEpochMs} (wall clock: it must outlive the process).
     */
    public record Settled(String sessionId, boolean takenBack, String why, long keepUntilEpochMs) {
    }

    private final Optional<Path> dir;
    /**
     * Sessions this daemon named a checkpoint file for: their entry may not be written yet (the log is made before
     * it), so their files are never taken for orphans.
     */
    private final Set<String> named = ConcurrentHashMap.newKeySet();

    private SessionJournal(Optional<Path> dir) {
        this.dir = dir;
    }

    /** A journal in {@code dir} (created if missing). */
    public static SessionJournal in(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new MigrationException("cannot create the session journal " + dir + ": " + e.getMessage(), e);
        }
        return new SessionJournal(Optional.of(dir));
    }

    /** No journal: a daemon that dies mid post-copy cannot finish it after a restart. */
    public static SessionJournal none() {
        return new SessionJournal(Optional.empty());
    }

    /** The journal's directory, if it is on disk (the destination's lease journal lives beside it). */
    public Optional<Path> directory() {
        return dir;
    }

    /** Whether this journal is on disk (else nothing survives the daemon). */
    boolean durable() {
        return dir.isPresent();
    }

    /**
     * Writes {@code e} durably, replacing what the journal held for its session; false if it could not (logged), or
     * there is no journal.
     */
    boolean write(Entry e) {
        return dir.isPresent() && writeJson(file(e.sessionId(), SUFFIX), e, e.sessionId());
    }

    private boolean writeJson(Path target, Object value, String sessionId) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            byte[] bytes = JSON.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            DurableRename.replace(tmp, target);
            return true;
        } catch (IOException ex) {
            // Not fatal to the migration; it only loses the chance to finish after a daemon restart.
            LOG.log(Level.ERROR, "session {0}: the journal could not be written: {1}", sessionId, ex.getMessage());
            return false;
        }
    }

    /** Removes the session's entry and the checkpoints kept beside it, if any. */
    void remove(String sessionId) {
        if (dir.isEmpty()) {
            return;
        }
        // The entry last: a daemon that dies in between leaves an entry to settle again, never files no entry names.
        delete(file(sessionId, CHECKPOINT_SUFFIX), sessionId);
        delete(file(sessionId, CHECKPOINT_LOG_SUFFIX), sessionId);
        delete(file(sessionId, CHECKPOINT_LOG_SUFFIX + ".tmp"), sessionId);
        delete(file(sessionId, CHECKPOINT_LOG_SUFFIX + CheckpointLog.COMPACTION_SUFFIX), sessionId);
        delete(file(sessionId, SUFFIX), sessionId);
    }

    /**
     * Removes the checkpoint files of sessions no entry names, and returns them: a daemon that died after making a
     * session's checkpoint log but before writing its entry (the log is made first, so the pause does not wait for
     * it) left a log nothing would ever read or remove. Kept: the files of every session with an entry, readable or
     * not (an unreadable one is left for an administrator, and so are its files), and of every session this daemon
     * has named a checkpoint file for (it may be starting now). Each file removed is logged.
     */
    public List<Path> removeOrphanedCheckpoints() {
        List<Path> removed = new ArrayList<>();
        if (dir.isEmpty()) {
            return removed;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get(), "*" + CHECKPOINT_SUFFIX + "*")) {
            for (Path f : files) {
                String session = checkpointFileSession(f.getFileName().toString());
                if (session == null || named.contains(session) || Files.exists(file(session, SUFFIX))) {
                    continue;
                }
                long bytes = Files.size(f);
                if (Files.deleteIfExists(f)) {
                    removed.add(f);
                    LOG.log(Level.WARNING, "removed {0} ({1} bytes): no session journal entry names session {2} (its"
                            + " daemon died before writing one, or the file outlived the entry's removal), so"
                            + " nothing would ever read it", f, bytes, session);
                }
            }
        } catch (IOException ex) {
            LOG.log(Level.ERROR, "checkpoint files no entry names could not all be removed from {0}: {1}", dir.get(),
                    ex.getMessage());
        }
        return removed;
    }

    /** The session a checkpoint file (log, fail-back copy, or a temporary one of them) belongs to; null if none. */
    private static String checkpointFileSession(String name) {
        for (String suffix : new String[] {CHECKPOINT_LOG_SUFFIX + CheckpointLog.COMPACTION_SUFFIX,
                CHECKPOINT_LOG_SUFFIX + ".tmp", CHECKPOINT_LOG_SUFFIX, CHECKPOINT_SUFFIX + ".tmp", CHECKPOINT_SUFFIX}) {
            if (name.endsWith(suffix)) {
                String session = name.substring(0, name.length() - suffix.length());
                return SESSION_ID.matcher(session).matches() ? session : null;
            }
        }
        return null;
    }

    private static void delete(Path f, String sessionId) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ex) {
            LOG.log(Level.ERROR, "session {0}: the journal file {1} could not be removed: {2}", sessionId,
                    f.getFileName(), ex.getMessage());
        }
    }

    /** Where the checkpoint a fail-back restores is kept beside the session's entry; empty without a journal. */
    Optional<Path> checkpointFile(String sessionId) {
        named.add(sessionId);
        return dir.map(d -> file(sessionId, CHECKPOINT_SUFFIX));
    }

    /** Where each checkpoint committed is kept as it commits ({@link CheckpointLog}); empty without a journal. */
    Optional<Path> checkpointLog(String sessionId) {
        named.add(sessionId);
        return dir.map(d -> file(sessionId, CHECKPOINT_LOG_SUFFIX));
    }

    /** Records a settled session durably (replacing what was there); false if it could not, or no journal. */
    boolean writeSettled(Settled s) {
        return dir.isPresent() && writeJson(file(s.sessionId(), SETTLED_SUFFIX), s, s.sessionId());
    }

    void removeSettled(String sessionId) {
        if (dir.isPresent()) {
            delete(file(sessionId, SETTLED_SUFFIX), sessionId);
        }
    }

    /** The settled sessions on disk, kept or not any more (the caller prunes); unreadable ones are logged. */
    List<Settled> settled() {
        return read(SETTLED_SUFFIX, Settled.class);
    }

    /** The sessions a previous daemon left unfinished; an entry that cannot be read is named in the log and kept. */
    public List<Entry> entries() {
        return read(SUFFIX, Entry.class);
    }

    private <T> List<T> read(String suffix, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (dir.isEmpty()) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get(), "*" + suffix)) {
            for (Path f : files) {
                try {
                    out.add(JSON.readValue(Files.readString(f), type));
                } catch (java.nio.file.NoSuchFileException gone) {
                    // Removed between the listing and the read: that session ended, it is no entry any more.
                } catch (JsonProcessingException ex) {
                    LOG.log(Level.ERROR, "unreadable session journal entry {0} left as it is: {1}", f,
                            ex.getOriginalMessage());
                }
            }
        } catch (IOException ex) {
            throw new MigrationException("cannot read the session journal " + dir.get() + ": " + ex.getMessage(), ex);
        }
        return out;
    }

    private Path file(String sessionId, String suffix) {
        if (!SESSION_ID.matcher(sessionId).matches()) {
            throw new IllegalArgumentException("not a session id: " + sessionId);
        }
        return dir.orElseThrow().resolve(sessionId + suffix);
    }
}
