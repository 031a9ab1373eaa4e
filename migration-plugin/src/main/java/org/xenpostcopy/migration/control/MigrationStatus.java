package org.xenpostcopy.migration.control;

import java.util.Objects;
import java.util.Optional;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Where a migration the daemon runs for a client stands: its progress, then its report or its error.
 *
 * @param phase         what is happening ("prepare", "push", ..., "done", "failed")
 * @param networkFaults demand requests served so far
 * @param finished      no further change will come: the report or the error is there
 * @param report        the report, once finished without error
 * @param error         one sentence, if it failed
 */
public record MigrationStatus(String phase, long pagesDone, long pagesTotal, long networkFaults, boolean finished,
                              Optional<MigrationReport> report, Optional<String> error) {
    public MigrationStatus {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(error, "error");
    }
}
