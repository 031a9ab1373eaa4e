package org.xenpostcopy.migration;

import java.util.Locale;

/** How memory moves: after the switch (post-copy), before it (pre-copy), or both (hybrid). */
public enum MigrationMode {
    POSTCOPY, PRECOPY, HYBRID;

    /** The name in reports and on the command line. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
