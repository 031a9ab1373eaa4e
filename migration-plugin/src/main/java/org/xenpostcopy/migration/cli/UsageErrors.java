package org.xenpostcopy.migration.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What xlpc prints when it is used wrongly (exit code 2), on stderr: one line saying what is wrong, the command's
 * short usage, and a command to try that works: the failing command's {@code --help}.
 */
final class UsageErrors {
    private UsageErrors() {
    }

    /** For picocli's parse errors: unknown option or command, missing or malformed parameter. */
    static int handle(ParameterException e, String[] args, PrintWriter err) {
        CommandLine failed = e.getCommandLine();
        // picocli checks required parameters before it reports arguments it did not match, so "migrate --bogus"
        // would say "Missing required parameters"; the mistyped option is what the user needs to hear about.
        if (e instanceof CommandLine.MissingParameterException && !failed.getUnmatchedArguments().isEmpty()) {
            e = new UnmatchedArgumentException(failed, failed.getUnmatchedArguments());
        }
        print(failed, message(e), args, err);
        return 2;
    }

    static void print(CommandLine failed, String message, String[] args, PrintWriter err) {
        // "xlpc help bogus" failed in help, whose own help says nothing about xlpc's commands: point at xlpc's.
        CommandLine about = failed.getCommandSpec().helpCommand() && failed.getParent() != null ? failed.getParent() : failed;
        err.println("xlpc: " + message);
        err.print("Usage: " + about.getHelp().abbreviatedSynopsis());
        err.println("try: " + suggestion(about, args));
        err.flush();
    }

    private static String message(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            List<String> close = u.getSuggestions();
            String hint = close.isEmpty() ? "" : " (did you mean " + String.join(" or ", close) + "?)";
            // picocli says "Unmatched argument at index 0: 'lsit'" for a mistyped command; say what it is.
            if (!first.startsWith("-") && !u.getCommandLine().getSubcommands().isEmpty()) {
                return "unknown command '" + first + "'" + hint;
            }
            return e.getMessage() + hint;
        }
        return e.getMessage();
    }

    /**
     * "xlpc <command path> --help"; if that is exactly what failed (it should never fail, a test walks them all),
     * the nearest enclosing command's, so the suggestion is never the command that just failed.
     */
    static String suggestion(CommandLine failed, String[] args) {
        String tried = String.join(" ", args);
        for (CommandLine c = failed; c != null; c = c.getParent()) {
            String path = path(c);
            if (!(path + "--help").equals(tried)) {
                return "xlpc " + path + "--help";
            }
        }
        return "xlpc help";
    }

    /** The subcommand names from the top down to this command, each followed by a space. */
    static String path(CommandLine c) {
        StringBuilder sb = new StringBuilder();
        for (; c.getParent() != null; c = c.getParent()) {
            sb.insert(0, c.getCommandName() + " ");
        }
        return sb.toString();
    }
}
