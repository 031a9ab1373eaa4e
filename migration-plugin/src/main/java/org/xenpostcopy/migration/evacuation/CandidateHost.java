package org.xenpostcopy.migration.evacuation;

import java.util.Objects;

/**
 * A host a guest may go to.
 *
 * @param name    how the user named it ({@code --to}, or {@code host.NAME} in the config)
 * @param freeKiB the memory it can still give a new domain, as it reported before the evacuation began
 */
public record CandidateHost(String name, long freeKiB) {
    public CandidateHost {
        Objects.requireNonNull(name, "name");
        if (freeKiB < 0) {
            throw new IllegalArgumentException(name + ": free memory cannot be negative: " + freeKiB + " KiB");
        }
    }
}
