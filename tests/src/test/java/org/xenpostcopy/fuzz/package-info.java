/**
 * Protocol fuzzing of a daemon's one Thrift port: well-formed calls of every service and method, built with the
 * generated classes ({@link org.xenpostcopy.fuzz.ValidCalls}), marked where their fields and sizes lie
 * ({@link org.xenpostcopy.fuzz.MarkingProtocol}), then broken in the ways a hostile or buggy peer breaks them
 * ({@link org.xenpostcopy.fuzz.Mutation}), or plain random bytes; sent as raw bytes on sockets
 * ({@link org.xenpostcopy.fuzz.FuzzConnection}). Everything follows from one seed, so a failure is replayed with
 * {@code -Dfuzz.seed=... -Dfuzz.frames=...}.
 */
package org.xenpostcopy.fuzz;
