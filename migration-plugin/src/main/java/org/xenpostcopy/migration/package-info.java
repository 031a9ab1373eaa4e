/**
 * The migration engine's shared vocabulary: {@code MigrationOptions}, {@code MigrationMode}, {@code PrePaging},
 * {@code MigrationProgress} and {@code MigrationException}, which every sub-package uses and which depend on no
 * sub-package. Sub-packages: {@code source} (page server, push scheduler), {@code destination} (receiver, fault
 * service), {@code prepaging} (the pre-paging policies), {@code pager} (page-out outside a migration),
 * {@code protocol} (Thrift adapters), {@code link} (shaping), {@code report} (the migration report),
 * {@code control} (what {@code xlpc} commands ask of a daemon), {@code daemon} (one host's agent, wiring it all
 * together), {@code cli} and {@code bench}.
 * The engine sees hosts only through {@code org.xenpostcopy.xen}: it never asks whether a host is emulated.
 */
package org.xenpostcopy.migration;
