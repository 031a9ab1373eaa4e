package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/** Every command answers -h/--help; a usage error says what is wrong and names a help that works. */
class XlpcHelpTest {
    /** A finished in-process run: exit code and both streams. */
    record Run(int exit, String out, String err) {
        String[] errLines() {
            return err.lines().toArray(String[]::new);
        }
    }

    static Run xlpc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Xlpc.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    /** The command path of every command in the tree, top first ({@code []}, {@code [migrate]}, ...). */
    static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        walk(Xlpc.commandLine(new Xlpc()), List.of(), paths);
        return paths;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> paths) {
        paths.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            List<String> p = new ArrayList<>(path);
            p.add(name);
            walk(sub, p, paths);
        });
    }

    private static String[] args(List<String> path, String... more) {
        return Stream.concat(path.stream(), Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void theTreeIsWalked() {
        List<List<String>> paths = commandPaths();
        // A walk that found nothing would pass everything below.
        assertTrue(paths.contains(List.of("migrate")) && paths.contains(List.of("lab")) && paths.contains(List.of("help")),
                paths.toString());
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpOnStdout() {
        return commandPaths().stream().flatMap(path -> Stream.of("--help", "-h").map(flag -> {
            String[] args = args(path, flag);
            return DynamicTest.dynamicTest("xlpc " + String.join(" ", args), () -> {
                Run r = xlpc(args);
                assertEquals(0, r.exit(), r.err());
                assertEquals("", r.err());
                // picocli's help command starts with its description, every other with its usage.
                assertTrue(r.out().contains("Usage: " + String.join(" ", args(List.of("xlpc"), path.toArray(String[]::new)))),
                        r.out());
            });
        }));
    }

    @Test
    void versionIsTheBuildsOwn() {
        Run r = xlpc("--version");
        assertEquals(0, r.exit(), r.err());
        // Filled in from the pom by resource filtering: a literal "${project.version}" means filtering broke.
        assertTrue(r.out().matches("xlpc \\d+\\.\\d+\\.\\d+\\S*\\R"), r.out());
    }

    @TestFactory
    Stream<DynamicTest> anUnknownOptionNamesAHelpThatWorks() {
        // picocli's own "help" takes what follows it as a command name and, finding none, shows xlpc's help: not an error.
        return commandPaths().stream().filter(path -> !path.equals(List.of("help"))).map(path -> {
            String[] args = args(path, "--no-such-option");
            return DynamicTest.dynamicTest("xlpc " + String.join(" ", args), () -> {
                Run r = xlpc(args);
                assertEquals(2, r.exit());
                assertEquals("", r.out());
                assertTrue(r.errLines()[0].startsWith("xlpc: ") && r.errLines()[0].contains("'--no-such-option'"), r.err());
                assertUsefulSuggestion(r, args);
            });
        });
    }

    @Test
    void missingParametersAndUnknownCommandsNameAHelpThatWorks() {
        Run missing = xlpc("migrate");
        assertEquals(2, missing.exit());
        assertEquals("xlpc: migrate needs DOMAIN and HOST[:PORT] (or --status ID / --resume ID / --fail-back ID)",
                missing.errLines()[0]);
        assertEquals("try: xlpc migrate --help", assertUsefulSuggestion(missing, new String[] {"migrate"}));

        Run typo = xlpc("mirgate", "vm", "host");
        assertEquals(2, typo.exit());
        assertTrue(typo.errLines()[0].startsWith("xlpc: unknown command 'mirgate' (did you mean migrate"), typo.err());
        assertEquals("try: xlpc --help", assertUsefulSuggestion(typo, new String[] {"mirgate", "vm", "host"}));

        Run none = xlpc();
        assertEquals(2, none.exit());
        assertEquals("xlpc: a command is required", none.errLines()[0]);
        assertUsefulSuggestion(none, new String[0]);

        Run helpOfNothing = xlpc("help", "bogus");
        assertEquals(2, helpOfNothing.exit());
        assertEquals("try: xlpc --help", assertUsefulSuggestion(helpOfNothing, new String[] {"help", "bogus"}));
    }

    @Test
    void aValueACommandRefusesAlsoNamesItsHelp() {
        Run r = xlpc("dsb", "wobble", "vm");
        assertEquals(2, r.exit());
        assertEquals("xlpc: dsb takes start, stop or status, not 'wobble'", r.errLines()[0]);
        assertEquals("try: xlpc dsb --help", assertUsefulSuggestion(r, new String[] {"dsb", "wobble", "vm"}));
    }

    @Test
    void theSuggestionIsNeverTheCommandThatFailed() {
        CommandLine top = Xlpc.commandLine(new Xlpc());
        CommandLine migrate = top.getSubcommands().get("migrate");
        assertEquals("xlpc migrate --help", UsageErrors.suggestion(migrate, new String[] {"migrate", "--bogus"}));
        // Were "migrate --help" itself ever to fail, pointing at it again would send the user round in a circle.
        assertEquals("xlpc --help", UsageErrors.suggestion(migrate, new String[] {"migrate", "--help"}));
        assertEquals("xlpc help", UsageErrors.suggestion(top, new String[] {"--help"}));
    }

    /**
     * Stderr is the message, a usage line and a "try:" line whose command differs from the failing one and, run, exits 0
     * with its help on stdout; returns the "try:" line.
     */
    private static String assertUsefulSuggestion(Run r, String[] failed) {
        String[] lines = r.errLines();
        assertEquals(3, lines.length, r.err());
        assertTrue(lines[1].startsWith("Usage: xlpc"), r.err());
        String tryLine = lines[2];
        assertTrue(tryLine.startsWith("try: xlpc "), r.err());
        String[] suggested = tryLine.substring("try: xlpc ".length()).split(" ");
        assertNotEquals(List.of(failed), List.of(suggested), "the suggestion is the failing command itself");
        Run followed = xlpc(suggested);
        assertEquals(0, followed.exit(), tryLine + ": " + followed.err());
        assertTrue(followed.out().contains("Usage: xlpc"), followed.out());
        return tryLine;
    }
}
