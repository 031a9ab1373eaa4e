/**
 * The Thrift edge: the generated code lives in {@code org.xenpostcopy.migration.protocol.thrift} (source root
 * {@code src/generated/java}, never edited by hand); this package holds the thin adapters — packing of bulk
 * fields, the server, client connections and the mapping of domain errors to {@code TMigrationError}.
 */
package org.xenpostcopy.migration.protocol;
