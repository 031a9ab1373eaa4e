/**
 * The migration engine. {@link org.xenpostcopy.migration.HostAgent} is one host's agent (what {@code xlpc daemon}
 * runs): it serves the Thrift channel and starts outgoing migrations. Sub-packages: {@code source} (page server,
 * push scheduler), {@code destination} (receiver, fault service), {@code prepaging} (the pre-paging policies),
 * {@code protocol} (Thrift adapters), {@code link} (shaping), {@code report} (the migration report).
 * The engine sees hosts only through {@code org.xenpostcopy.xen}: it never asks whether a host is emulated.
 */
package org.xenpostcopy.migration;
