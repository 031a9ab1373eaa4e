package org.xenpostcopy.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A daemon's session journal as a test outside its process reads it: the entry files under its state directory. */
final class JournalFiles {
    private JournalFiles() {
    }

    /** Whether a session entry under {@code stateDir}'s journal contains {@code what} as written (a field, a value). */
    static boolean anySays(Path stateDir, String what) {
        Path journal = stateDir.resolve("journal");
        if (!Files.isDirectory(journal)) {
            return false;
        }
        try (var files = Files.list(journal)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".session.json")).toList()) {
                if (Files.readString(f).contains(what)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
