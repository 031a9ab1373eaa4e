package org.xenpostcopy.migration.source;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Putting a file the source wrote whole (and synced) in place of another: an atomic rename, then the directory synced,
 * so that after a power cut the name points at the new file, not back at the old one. A daemon that dies (the case
 * the journal is mostly for) needs only the rename; the directory sync is what a host that loses power needs too.
 */
final class DurableRename {
    private DurableRename() {
    }

    /** Renames {@code from} over {@code to} atomically, then makes the rename durable. */
    static void replace(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectoryOf(to);
    }

    /** Makes a rename or a creation in {@code file}'s directory durable (best effort: not every file system allows it). */
    static void syncDirectoryOf(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the rename itself is atomic; only its durability across a power cut depends on this
        }
    }
}
