/**
 * Protocol fuzzing of a daemon's one Thrift port: well-formed calls of every service and method, built with the
 * generated classes ({@link org.xenpostcopy.fuzz.ValidCalls}), marked where their fields and sizes lie
 * ({@link org.xenpostcopy.fuzz.MarkingProtocol}), then broken in the ways a hostile or buggy peer breaks them
 * ({@link org.xenpostcopy.fuzz.Mutation}), or plain random bytes; sent as raw bytes on sockets
 * ({@link org.xenpostcopy.fuzz.FuzzConnection}): in clear ({@link org.xenpostcopy.fuzz.ProtocolFuzzTest}), or inside
 * TLS as an allowed identity, its records broken too, and by peers a mutual-TLS daemon must refuse
 * ({@link org.xenpostcopy.fuzz.TlsProtocolFuzzTest}). Both run beside a migration
 * ({@link org.xenpostcopy.fuzz.FuzzedMigration}). Everything follows from one seed, so a failure is replayed with
 * {@code -Dfuzz.seed=... -Dfuzz.connections=...}.
 */
package org.xenpostcopy.fuzz;
