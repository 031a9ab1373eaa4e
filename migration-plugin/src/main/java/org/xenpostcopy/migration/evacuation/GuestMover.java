package org.xenpostcopy.migration.evacuation;

import org.xenpostcopy.migration.report.MigrationReport;

/** Moves one guest to its destination: what the scheduler runs for each assignment, K at a time. */
@FunctionalInterface
public interface GuestMover {
    /**
     * Migrates {@code assignment}'s guest to its host and returns the migration's report once it is complete. Calls
     * {@code linkDone} once the migration sends no more pages (post-copy: the last page pushed; what is left is the
     * destination's completion and memory check), so the next guest may start then; a mover that never calls it holds
     * its place until it returns.
     *
     * @throws RuntimeException with one sentence for the user, if the migration failed or could not start
     */
    MigrationReport move(Placement.Assignment assignment, Runnable linkDone) throws InterruptedException;
}
