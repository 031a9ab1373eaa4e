/**
 * The receiving side: {@link org.xenpostcopy.migration.destination.ReceiverService} is the Thrift handler;
 * each session is an {@link org.xenpostcopy.migration.destination.IncomingMigration} whose
 * {@link org.xenpostcopy.migration.destination.FaultService} thread turns ring requests into answers or demand
 * requests, and whose {@link org.xenpostcopy.migration.destination.DemandFetcher} thread fetches those from the
 * source on the urgent connection. Pushed pages are loaded on the push connection's thread as they arrive.
 */
package org.xenpostcopy.migration.destination;
