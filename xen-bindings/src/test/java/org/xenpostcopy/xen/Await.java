package org.xenpostcopy.xen;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline: tests never sleep for a fixed time to "let something happen". */
public final class Await {
    private Await() {
    }

    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what.get());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
