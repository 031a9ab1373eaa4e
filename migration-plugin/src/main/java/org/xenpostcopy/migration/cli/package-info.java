/**
 * {@code xlpc}, the xl-style command line (picocli): {@code daemon}, {@code migrate}, {@code list}, {@code mem-set},
 * {@code dsb}, {@code create}, {@code destroy}, {@code lab}, {@code bench}. Commands that act on a host talk to its
 * daemon over the Thrift control service; {@code lab} runs emulated hosts in-process.
 */
package org.xenpostcopy.migration.cli;
