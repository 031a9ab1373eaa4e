package org.xenpostcopy.migration.destination;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The destination's record, on disk, of each guest that runs here on a source's lease: from just before the switch
 * unpauses it until the source released it (or took it back, or it ended otherwise). The lease is enforced by this
 * daemon, so it dies with it; a restarted daemon that finds an entry holds the re-attached guest paused until its
 * source says it released it (then it runs) or took it back (then it is destroyed) — never beside a copy the source
 * restored meanwhile. One small file per session ({@code <session>.lease.json}), written whole (temporary file,
 * rename).
 */
public final class LeaseJournal {
    private static final Logger LOG = System.getLogger(LeaseJournal.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final String SUFFIX = ".lease.json";

    /** A guest held on a lease: its session, its domain here, and where its source's page server answers. */
    public record Entry(String sessionId, String domainName, int domid, String sourceHost, int sourcePort,
                        long gfnCount) {
    }

    private final Optional<Path> dir;

    private LeaseJournal(Optional<Path> dir) {
        this.dir = dir;
    }

    /** A journal in {@code dir} (created if missing). */
    public static LeaseJournal in(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the lease journal " + dir + ": " + e.getMessage(), e);
        }
        return new LeaseJournal(Optional.of(dir));
    }

    /** No journal: a guest on a lease is not held after a daemon restart. */
    public static LeaseJournal none() {
        return new LeaseJournal(Optional.empty());
    }

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
                // No fsync: written during the switch's downtime, and what it guards against is the death of the
                // daemon, which the page cache survives (the death of the machine takes the guest with it).
                ch.write(ByteBuffer.wrap(bytes));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            LOG.log(Level.ERROR, "session {0}: the lease journal could not be written: {1}", e.sessionId(),
                    ex.getMessage());
        }
    }

    void remove(String sessionId) {
        if (dir.isEmpty() || sessionId == null || !SESSION_ID.matcher(sessionId).matches()) {
            return;
        }
        try {
            Files.deleteIfExists(file(sessionId));
        } catch (IOException ex) {
            LOG.log(Level.ERROR, "session {0}: the lease journal entry could not be removed: {1}", sessionId,
                    ex.getMessage());
        }
    }

    /** The guests a previous daemon ran on a lease; an entry that cannot be read is logged and left. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        if (dir.isEmpty()) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get(), "*" + SUFFIX)) {
            for (Path f : files) {
                try {
                    out.add(JSON.readValue(Files.readString(f), Entry.class));
                } catch (NoSuchFileException gone) {
                    // removed meanwhile: that lease ended
                } catch (JsonProcessingException ex) {
                    LOG.log(Level.ERROR, "unreadable lease journal entry {0} left as it is: {1}", f,
                            ex.getOriginalMessage());
                }
            }
        } catch (IOException ex) {
            throw new IllegalStateException("cannot read the lease journal " + dir.get() + ": " + ex.getMessage(), ex);
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
