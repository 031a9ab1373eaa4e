/**
 * {@code xlpc}, the xl-style command line (picocli): {@code daemon}, {@code migrate}, {@code list}, {@code mem-set},
 * {@code dsb}, {@code create}, {@code destroy}, {@code evacuate}, {@code migrate-many}, {@code lab}, {@code bench}. Commands that act on a host talk to its
 * daemon through {@code DaemonConnection} (the Thrift client in {@code migration.protocol}), in the control
 * service's domain types — no Thrift type appears here; {@code lab} runs emulated hosts in-process. {@code Xlpc.commandLine}
 * builds the command tree once for running it and for {@code CliDocs}, which generates bash completion and man pages
 * from it at build time; {@code UsageErrors} is what a user sees when a command line is wrong.
 */
package org.xenpostcopy.migration.cli;
