package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** What the build generates for an install (CliDocs) covers every command, so it cannot silently go stale. */
class CliDocsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void generate() throws IOException {
        CliDocs.main(new String[] {dir.toString()});
    }

    private static List<CommandLine> commands() {
        return CliDocs.commands(Xlpc.commandLine(new Xlpc()));
    }

    @Test
    void theCompletionScriptMentionsEveryCommand() throws IOException {
        String script = Files.readString(dir.resolve("completion/xlpc"));
        List<CommandLine> commands = commands();
        assertTrue(commands.size() > 10, "walked " + commands.size() + " commands");
        for (CommandLine c : commands) {
            assertTrue(script.contains(c.getCommandName()), c.getCommandName());
        }
        assertTrue(script.contains("complete -F _complete_xlpc"), "registers itself for xlpc");
    }

    /** Sourced in bash as a user would, the script offers each command's subcommands and options. */
    @Test
    void bashCompletesEveryCommandsSubcommandsAndOptions() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "skipped: no /bin/bash");
        for (CommandLine c : commands()) {
            List<String> path = Arrays.asList(UsageErrors.path(c).trim().split(" "));
            path = path.equals(List.of("")) ? List.of() : path;
            List<String> words = complete(path, "");
            for (String sub : c.getSubcommands().keySet()) {
                assertTrue(words.contains(sub), "xlpc " + path + " <TAB> lacks " + sub + ": " + words);
            }
            List<String> options = complete(path, "-");
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.hidden()) {
                    assertTrue(options.contains(o.longestName()), "xlpc " + path + " -<TAB> lacks " + o.longestName()
                            + ": " + options);
                }
            }
        }
    }

    @Test
    void bashCompletesTheDsbActions() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "skipped: no /bin/bash");
        assertEquals(List.of("start", "stop", "status"), complete(List.of("dsb"), ""));
    }

    /** What bash's completion offers for "xlpc WORDS... CURRENT<TAB>". */
    private static List<String> complete(List<String> words, String current) throws Exception {
        List<String> all = new ArrayList<>();
        all.add("xlpc");
        all.addAll(words);
        all.add(current);
        String line = String.join(" ", all);
        String shell = "source \"$1\" 2>/dev/null; COMP_WORDS=(\"${@:2}\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); "
                + "COMP_LINE=\"" + line + "\"; COMP_POINT=${#COMP_LINE}; _complete_xlpc 2>/dev/null; "
                + "printf '%s\\n' \"${COMPREPLY[@]}\"";
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", shell, "bash", dir.resolve("completion/xlpc").toString()));
        cmd.addAll(all);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().map(String::strip).toList();
    }

    @Test
    void everyCommandHasAManPageWithItsOptions() throws IOException {
        for (CommandLine c : commands()) {
            Path page = dir.resolve("man").resolve(CliDocs.pageName(c) + ".1");
            assertTrue(Files.exists(page), page.toString());
            String roff = Files.readString(page);
            assertTrue(roff.contains(".TH " + CliDocs.pageName(c).toUpperCase(java.util.Locale.ROOT) + " 1 "), roff);
            for (OptionSpec o : c.getCommandSpec().options()) {
                // roff spells a dash "\-"
                assertTrue(o.hidden() || roff.contains("\\fB" + o.longestName().replace("-", "\\-") + "\\fR"),
                        page + " lacks " + o.longestName());
            }
            for (String sub : c.getSubcommands().keySet()) {
                assertTrue(roff.contains("\\fB" + sub.replace("-", "\\-") + "\\fR"), page + " lacks " + sub);
            }
        }
    }

    /** groff, when installed, reads every page without a warning. */
    @Test
    void theManPagesAreCleanRoff() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "skipped: no groff (apt-get install groff-base)");
        try (var pages = Files.list(dir.resolve("man"))) {
            for (Path page : pages.toList()) {
                Process p = new ProcessBuilder("/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", page.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                assertEquals("", out, page.toString());
                assertEquals(0, p.exitValue(), page.toString());
            }
        }
    }
}
