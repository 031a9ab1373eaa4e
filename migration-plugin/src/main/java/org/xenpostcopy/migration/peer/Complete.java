package org.xenpostcopy.migration.peer;

/**
 * The source has sent every page.
 *
 * @param pagesSent        every page send, re-sends included
 * @param restoreTargetKiB memory/target to give the guest back once done (after self-ballooning); 0 = leave it
 * @param pagesResent      sends that repeated a page a recovery found missing (some of them arrive twice: the first
 *                         copy was late, not lost)
 */
public record Complete(long pagesSent, boolean verify, int timeoutMs, long restoreTargetKiB, long pagesResent) {
}
