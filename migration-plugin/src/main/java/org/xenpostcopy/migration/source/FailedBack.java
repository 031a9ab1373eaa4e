package org.xenpostcopy.migration.source;

import java.util.Optional;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.xen.GuestProbe;

/**
 * A post-copy that ended with the guest back on the source, restored from its last reverse checkpoint because the
 * destination died or stayed cut off past its lease. The migration failed; the guest was not lost.
 */
public final class FailedBack extends MigrationException {
    private final transient FailBack.Result result;

    FailedBack(String message, FailBack.Result result, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    /** The checkpoint restored (0: none; the guest resumed as it was at the switch). */
    public long checkpointSeq() {
        return result.checkpointSeq();
    }

    /** Guest operations at the restored checkpoint (-1 if unknown). */
    public long guestOpsRestored() {
        return result.guestOps();
    }

    /** From the destination's last word (its last lease grant) to the guest's resume here. */
    public double sinceLastWordMs() {
        return result.sinceLastGrantMs();
    }

    public long pagesRestored() {
        return result.pagesRestored();
    }

    /** The memory check of the restored guest, if one ran. */
    public Optional<GuestProbe.Verification> verification() {
        return result.verification();
    }
}
