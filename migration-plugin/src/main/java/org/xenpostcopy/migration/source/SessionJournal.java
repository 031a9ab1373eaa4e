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
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.xenpostcopy.migration.MigrationException;

/**
 * The source's record, on disk, of each migration that has paused its guest: what a restarted daemon needs to
 * finish serving it (the guest outlives the daemon, as a Xen domain outlives its toolstack). One small file per
 * session, written whole (temporary file, fsync, atomic rename) just before the pause and again once the
 * destination has the guest, and removed when the migration ends either way. No sent bitmap is kept: after a restart the
 * destination's own list of missing pages says what is still owed, so nothing needs writing while pages move.
 */
public final class SessionJournal {
    private static final Logger LOG = System.getLogger(SessionJournal.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final String SUFFIX = ".session.json";

    /**
     * One migration past its pause.
     *
     * @param handedOver   the destination confirmed the resume: the guest runs there (else it may or may not)
     * @param restoreTargetKiB memory/target to give the guest back at completion (0 = leave it)
     */
    public record Entry(String sessionId, int domid, String destinationHost, int destinationPort, long gfnCount,
                        String prepaging, int batchPages, long linkMbps, int linkLatencyMs, int stallMs,
                        long giveUpMs, long timeoutMs, boolean verify, long restoreTargetKiB, boolean handedOver) {
        Entry handedOverNow() {
            return new Entry(sessionId, domid, destinationHost, destinationPort, gfnCount, prepaging, batchPages,
                    linkMbps, linkLatencyMs, stallMs, giveUpMs, timeoutMs, verify, restoreTargetKiB, true);
        }
    }

    private final Optional<Path> dir;

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

    /** Writes {@code e} durably, replacing what the journal held for its session. */
    void write(Entry e) {
        if (dir.isEmpty()) {
            return;
        }
        Path target = file(e.sessionId());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            byte[] bytes = JSON.writeValueAsString(e).getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            // Not fatal to the migration; it only loses the chance to finish after a daemon restart.
            LOG.log(Level.ERROR, "session {0}: the journal could not be written: {1}", e.sessionId(), ex.getMessage());
        }
    }

    void remove(String sessionId) {
        if (dir.isEmpty()) {
            return;
        }
        try {
            Files.deleteIfExists(file(sessionId));
        } catch (IOException ex) {
            LOG.log(Level.ERROR, "session {0}: the journal entry could not be removed: {1}", sessionId, ex.getMessage());
        }
    }

    /** The sessions a previous daemon left unfinished; an entry that cannot be read is named in the log and kept. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        if (dir.isEmpty()) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get(), "*" + SUFFIX)) {
            for (Path f : files) {
                try {
                    out.add(JSON.readValue(Files.readString(f), Entry.class));
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

    private Path file(String sessionId) {
        if (!SESSION_ID.matcher(sessionId).matches()) {
            throw new IllegalArgumentException("not a session id: " + sessionId);
        }
        return dir.orElseThrow().resolve(sessionId + SUFFIX);
    }
}
