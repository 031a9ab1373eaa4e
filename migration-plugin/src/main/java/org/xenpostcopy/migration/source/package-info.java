/**
 * The sending side: {@link org.xenpostcopy.migration.source.OutgoingMigration} runs one outgoing migration in
 * any mode; {@link org.xenpostcopy.migration.source.PreCopySender} sends pre-copy rounds;
 * {@link org.xenpostcopy.migration.source.SentPages} guarantees each post-copy page is sent once, whoever sends it;
 * {@link org.xenpostcopy.migration.source.PushScheduler} streams pages in the pre-paging policy's order;
 * {@link org.xenpostcopy.migration.source.PageServer} answers the destination's demand requests.
 */
package org.xenpostcopy.migration.source;
