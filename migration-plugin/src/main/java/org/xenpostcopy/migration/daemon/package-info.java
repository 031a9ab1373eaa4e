/**
 * One host's daemon, what {@code xlpc daemon} runs: {@link org.xenpostcopy.migration.daemon.HostAgent} wires the
 * engine (page server, receiver, outgoing migrations), the self-ballooning controller and the control service to
 * one Thrift endpoint. It sits above every other package of the engine and nothing in the engine depends on it;
 * the command line, the benchmark and the tests start agents. An agent tells a
 * {@link org.xenpostcopy.migration.daemon.MigrationWatcher} of its migrations; the daemon's is
 * {@link org.xenpostcopy.migration.daemon.DaemonMetrics}, served by
 * {@link org.xenpostcopy.migration.daemon.MetricsEndpoint} — the only classes that know the metrics library.
 */
package org.xenpostcopy.migration.daemon;
