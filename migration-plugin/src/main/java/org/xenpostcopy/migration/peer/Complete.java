package org.xenpostcopy.migration.peer;

/**
 * The source has sent every page.
 *
 * @param restoreTargetKiB memory/target to give the guest back once done (after self-ballooning); 0 = leave it
 */
public record Complete(long pagesSent, boolean verify, int timeoutMs, long restoreTargetKiB) {
}
