package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes what an install ships beside xlpc.jar, generated from the command definitions so it cannot drift from them:
 * {@code completion/xlpc} (bash, by picocli's {@link AutoComplete}) and {@code man/xlpc.1}, {@code man/xlpc-<command>.1}
 * (roff). Run by the build ({@code mvn package}, exec-maven-plugin) with the output directory as its argument.
 *
 * <p>Roff is written here rather than through picocli-codegen's ManPageGenerator: that one writes AsciiDoc, and turning
 * it into man pages needs Asciidoctor (Ruby, or JRuby in Maven), which the build should not depend on. Public only
 * because exec-maven-plugin looks its main method up from outside the package.
 */
public final class CliDocs {
    private CliDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: CliDocs OUTPUT-DIRECTORY");
        }
        write(Path.of(args[0]));
    }

    /** Writes completion/xlpc and man/*.1 under this directory. */
    static void write(Path dir) throws IOException {
        CommandLine top = Xlpc.commandLine(new Xlpc());
        Path completion = dir.resolve("completion").resolve("xlpc");
        Files.createDirectories(completion.getParent());
        Files.writeString(completion, AutoComplete.bash("xlpc", top), StandardCharsets.UTF_8);
        Path man = dir.resolve("man");
        Files.createDirectories(man);
        // A command renamed or removed since the last build must not leave its page behind for an install to ship.
        try (var old = Files.newDirectoryStream(man, "*.1")) {
            for (Path p : old) {
                Files.delete(p);
            }
        }
        for (CommandLine c : commands(top)) {
            Files.writeString(man.resolve(pageName(c) + ".1"), manPage(c), StandardCharsets.UTF_8);
        }
    }

    /** This command and all below it, depth first. */
    static List<CommandLine> commands(CommandLine cl) {
        List<CommandLine> all = new ArrayList<>();
        all.add(cl);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!sub.getCommandSpec().usageMessage().hidden()) {
                all.addAll(commands(sub));
            }
        }
        return all;
    }

    /** "xlpc" or "xlpc-dsb", as git names its pages. */
    static String pageName(CommandLine c) {
        return ("xlpc " + UsageErrors.path(c)).trim().replace(' ', '-');
    }

    /** The man page of this command, in roff (man macros). Narrows the command's usage width for its synopsis. */
    static String manPage(CommandLine c) {
        CommandSpec spec = c.getCommandSpec();
        spec.usageMessage().width(72);   // man indents the synopsis by 7 columns; .nf lines must still fit in 80
        // Plain text whatever the terminal the build runs in: roff gets no ANSI colours.
        Help help = new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF));
        String version = String.join(" ", spec.root().version());
        StringBuilder r = new StringBuilder();
        r.append(".\\\" Generated from the xlpc command definitions by CliDocs; do not edit.\n");
        r.append(".TH ").append(pageName(c).toUpperCase(java.util.Locale.ROOT)).append(" 1 \"\" \"")
                .append(escape(version)).append("\" \"xlpc Manual\"\n");
        r.append(".SH NAME\n").append(escape(pageName(c))).append(" \\- ")
                .append(escape(firstSentence(String.join(" ", spec.usageMessage().description())))).append('\n');
        r.append(".SH SYNOPSIS\n.nf\n").append(escapeLines(help.synopsis(0).stripTrailing())).append("\n.fi\n");
        r.append(".SH DESCRIPTION\n").append(paragraph(spec.usageMessage().description()));
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            r.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                r.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n").append(paragraph(p.description()));
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            r.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                r.append(".TP\n").append(java.util.Arrays.stream(o.names()).map(n -> "\\fB" + escape(n) + "\\fR")
                        .collect(Collectors.joining(", ")));
                if (o.arity().max() > 0) {
                    r.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
                }
                r.append('\n').append(paragraph(o.description()));
            }
        }
        List<CommandLine> subs = c.getSubcommands().values().stream()
                .filter(s -> !s.getCommandSpec().usageMessage().hidden()).toList();
        if (!subs.isEmpty()) {
            r.append(".SH COMMANDS\n");
            for (CommandLine s : subs) {
                r.append(".TP\n\\fB").append(escape(s.getCommandName())).append("\\fR\n")
                        .append(paragraph(s.getCommandSpec().usageMessage().description()))
                        .append("See \\fB").append(escape(pageName(s))).append("\\fR(1).\n");
            }
        }
        r.append(".SH SEE ALSO\n");
        if (c.getParent() != null) {
            r.append("\\fB").append(escape(pageName(c.getParent()))).append("\\fR(1), ");
        }
        r.append("\\fBxl\\fR(1)\n");
        return r.toString();
    }

    /** Description lines as roff text; nothing for none (roff reads an empty line as a blank line). */
    private static String paragraph(String[] description) {
        String text = String.join("\n", description).strip();
        return text.isEmpty() ? "" : escapeLines(text) + "\n";
    }

    private static String firstSentence(String text) {
        int end = text.indexOf(". ");
        return (end < 0 ? text : text.substring(0, end)).replaceAll("\\.$", "");
    }

    /** Roff for text lines: a backslash is an escape, and a line starting with '.' or '\'' would be a request. */
    private static String escapeLines(String text) {
        return text.lines().map(l -> {
            String e = escape(l);
            return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
        }).collect(Collectors.joining("\n"));
    }

    private static String escape(String s) {
        // "\-" is a real minus (option dashes must be typed as such); "\e" prints a backslash.
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
