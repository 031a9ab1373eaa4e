/**
 * The daemon's control plane in domain types: {@link org.xenpostcopy.migration.control.DaemonControl} is what
 * {@code xlpc list}, {@code create}, {@code destroy}, {@code mem-set}, {@code dsb}, {@code page-out} and
 * {@code migrate} ask of a host; {@link org.xenpostcopy.migration.control.HostControlService} answers it on the
 * daemon's host, with the records ({@code DomainSummary}, {@code MigrateRequest}, {@code MigrationStatus}) and
 * {@code ControlException} (a {@code RemoteError} code and one sentence). It gets what it needs from the agent
 * through small interfaces ({@code Migrator}), so it depends on neither the agent nor the wire; the Thrift handler
 * and client in {@code migration.protocol} convert to and from it.
 */
package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
