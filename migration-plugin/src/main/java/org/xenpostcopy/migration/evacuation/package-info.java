/**
 * Evacuating a host ({@code xlpc evacuate}): where each guest goes ({@link
 * org.xenpostcopy.migration.evacuation.PlacementPlanner}, pure, on sizes and free memory), how many move at once
 * ({@link org.xenpostcopy.migration.evacuation.EvacuationScheduler}), and what became of each
 * ({@link org.xenpostcopy.migration.evacuation.GuestOutcome}, {@link org.xenpostcopy.migration.evacuation.EvacuationReport}).
 * Nothing here talks to a daemon: the command line hands the scheduler a {@link
 * org.xenpostcopy.migration.evacuation.GuestMover} that does.
 */
package org.xenpostcopy.migration.evacuation;
