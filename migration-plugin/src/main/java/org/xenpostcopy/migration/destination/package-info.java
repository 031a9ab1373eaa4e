/**
 * The receiving side. {@link org.xenpostcopy.migration.destination.IncomingMigrations} holds the sessions coming
 * in; each is an {@link org.xenpostcopy.migration.destination.IncomingMigration} that walks
 * {@link org.xenpostcopy.migration.destination.DestinationPhase}: the
 * {@link org.xenpostcopy.migration.destination.DomainPreparer} creates the domain, the
 * {@link org.xenpostcopy.migration.destination.PrecopyWriter} writes pre-copy pages, the
 * {@link org.xenpostcopy.migration.destination.HoleMirror} redoes the balloon's changes at the switch, and after
 * it the {@link org.xenpostcopy.migration.destination.ArrivalLedger} (fed by the push channel and the
 * {@link org.xenpostcopy.migration.destination.DemandFetcher}) answers the pager loop's faults. A guest that runs
 * on its source's lease is recorded in the {@link org.xenpostcopy.migration.destination.LeaseJournal}, so that a
 * restarted daemon holds it paused ({@code OrphanedLeases}) until the source has said what became of it. No Thrift
 * here: the source is a {@link org.xenpostcopy.migration.peer.SourcePeer}.
 */
package org.xenpostcopy.migration.destination;
