/**
 * The sending side. {@link org.xenpostcopy.migration.source.OutgoingMigration} walks
 * {@link org.xenpostcopy.migration.source.SourcePhase}: {@link org.xenpostcopy.migration.source.PreCopyRounds}
 * (under the {@link org.xenpostcopy.migration.source.Xen417PrecopyPolicy}), the
 * {@link org.xenpostcopy.migration.source.SourceSwitch}, then the
 * {@link org.xenpostcopy.migration.source.PushScheduler} while the
 * {@link org.xenpostcopy.migration.source.PageServer} answers demand requests; the
 * {@link org.xenpostcopy.migration.source.SentPages} bitmap guarantees each page is sent once, whoever sends it,
 * and the {@link org.xenpostcopy.migration.source.ReportBuilder} makes the report. After the switch the
 * {@code CheckpointStore} keeps the destination's reverse checkpoints, and {@code FailBack} restores the guest from
 * them ({@code CheckpointRestore}) when the destination dies, journaled ({@code FailBackJournal},
 * {@code CheckpointFile}) so that a restarted daemon finishes it ({@code InterruptedFailBack}); an administrator can
 * order one ({@code OrderedFailBack}); {@code SettledSessions} answers destinations that call late. No Thrift here:
 * the destination is a {@link org.xenpostcopy.migration.peer.DestinationPeer}.
 */
package org.xenpostcopy.migration.source;
