package org.xenpostcopy.migration.bench.paper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.migration.report.MigrationReport;

/** What every experiment of one bench run shares: its scale, where it writes, how many runs per point, the log. */
final class PaperContext {
    private final PaperScale scale;
    private final Path out;
    private final int runs;
    private final Progress progress;
    private final SingleMigrations migrations;

    PaperContext(PaperScale scale, Path out, int runs, Progress progress) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, not " + runs);
        }
        this.scale = scale;
        this.out = out;
        this.runs = runs;
        this.progress = progress;
        this.migrations = new SingleMigrations(scale);
    }

    PaperScale scale() {
        return scale;
    }

    Path file(String name) {
        return out.resolve(name);
    }

    /** Seeded runs per point: seeds 1..runs. */
    int runs() {
        return runs;
    }

    Progress progress() {
        return progress;
    }

    /** Measures each point (or takes the report an earlier experiment measured), a progress line per point. */
    List<MigrationReport> measure(String experiment, List<SingleMigrations.Point> points) {
        List<MigrationReport> reports = new ArrayList<>(points.size());
        for (int i = 0; i < points.size(); i++) {
            SingleMigrations.Point p = points.get(i);
            progress.run(experiment, i + 1, points.size(), p.describe()
                    + (migrations.has(p) ? " (measured before)" : ""));
            reports.add(migrations.measure(p));
        }
        return reports;
    }

    /** The setup line every plot carries under its title. */
    String setup() {
        return String.format("%d MiB guest, %d Mbit/s link, emulated hosts over Thrift on loopback, median of %d run%s",
                scale.guestMiB(), scale.linkMbps(), runs, runs == 1 ? "" : "s");
    }
}
