/**
 * One host's daemon, what {@code xlpc daemon} runs: {@link org.xenpostcopy.migration.daemon.HostAgent} wires the
 * engine (page server, receiver, outgoing migrations), the self-ballooning controller and the control service to
 * one Thrift endpoint. It sits above every other package of the engine and nothing in the engine depends on it;
 * the command line, the benchmark and the tests start agents.
 */
package org.xenpostcopy.migration.daemon;
