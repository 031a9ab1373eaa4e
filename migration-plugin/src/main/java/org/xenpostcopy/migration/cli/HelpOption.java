package org.xenpostcopy.migration.cli;

import picocli.CommandLine.Option;

/**
 * {@code -h/--help} for a subcommand. The top command has picocli's standard options (with {@code --version});
 * subcommands get only this, added by {@link Xlpc#commandLine} to every one of them, so a new command cannot lack it.
 */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
