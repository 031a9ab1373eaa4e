package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source's session journal: what a restarted daemon reads back is what was written, whole. */
class SessionJournalTest {
    @TempDir
    Path dir;

    private static SessionJournal.Entry entry(String id) {
        return new SessionJournal.Entry(id, 3, "dest", 7410, 262_144, "bubble", 64, 1000, 0, 5000, 600_000, 600_000,
                true, 1_048_576, false);
    }

    @Test
    void anEntryIsReadBackAsWrittenAndReplacedWhenTheGuestIsHandedOver() {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("a1"));
        assertEquals(List.of(entry("a1")), j.entries());

        j.write(entry("a1").handedOverNow());
        List<SessionJournal.Entry> again = SessionJournal.in(dir).entries();
        assertEquals(1, again.size());
        assertTrue(again.get(0).handedOver());

        j.remove("a1");
        assertEquals(List.of(), j.entries());
    }

    @Test
    void anUnreadableEntryIsLeftAloneAndTheOthersAreRead() throws Exception {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("good"));
        Files.writeString(dir.resolve("torn.session.json"), "{\"sessionId\": \"torn\", \"dom");
        assertEquals(List.of(entry("good")), j.entries());
        assertTrue(Files.exists(dir.resolve("torn.session.json")));
    }

    @Test
    void aSessionIdThatIsNotOneIsRefusedBeforeItNamesAFile() {
        SessionJournal j = SessionJournal.in(dir);
        assertThrows(IllegalArgumentException.class, () -> j.write(entry("../etc/passwd")));
    }

    @Test
    void withoutAJournalNothingIsWrittenOrRead() {
        SessionJournal none = SessionJournal.none();
        none.write(entry("a1"));
        assertEquals(List.of(), none.entries());
    }
}
