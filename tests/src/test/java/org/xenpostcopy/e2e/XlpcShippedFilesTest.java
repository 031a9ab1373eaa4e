package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code mvn package} leaves beside xlpc.jar for an install to ship, and the jar's help as users run it. */
class XlpcShippedFilesTest {
    @Test
    void packageWritesTheCompletionScriptAndManPages() throws Exception {
        Path target = XlpcProcess.jar().toAbsolutePath().getParent();
        Path completion = target.resolve("completion/xlpc");
        assertTrue(Files.exists(completion), completion + " is missing: is CliDocs still run in the package phase?");
        assertTrue(Files.readString(completion).contains("complete -F _complete_xlpc"));
        for (String page : new String[] {"xlpc.1", "xlpc-migrate.1", "xlpc-lab.1"}) {
            assertTrue(Files.exists(target.resolve("man").resolve(page)), page);
        }
    }

    @Test
    void theJarAnswersHelpOnStdout() throws Exception {
        XlpcProcess.Result r = XlpcProcess.run(Map.of(), "lab", "--help");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("Usage: xlpc lab"), r.out());
    }
}
