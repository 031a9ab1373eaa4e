package org.xenpostcopy.migration.evacuation;

import java.util.Objects;

/**
 * A guest of the host being evacuated, as placement sees it.
 *
 * @param sizeKiB the guest's configured memory: what its destination must have free (a destination admits a guest by
 *                its full size, not by what its balloon holds now)
 */
public record GuestToMove(String name, long sizeKiB) {
    public GuestToMove {
        Objects.requireNonNull(name, "name");
        if (sizeKiB <= 0) {
            throw new IllegalArgumentException(name + ": a guest's size must be positive, not " + sizeKiB + " KiB");
        }
    }
}
