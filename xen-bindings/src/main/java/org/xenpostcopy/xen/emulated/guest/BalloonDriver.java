package org.xenpostcopy.xen.emulated.guest;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import org.xenpostcopy.xen.XenStore;

/**
 * The guest's balloon driver and memory agent, as Linux's {@code xen-balloon} plus a guest agent.
 *
 * <p>It follows {@code memory/target} (KiB): below the populated size it gives free pages back to Xen (they
 * become unpopulated and are never migrated); above it, it takes pages back. Like Linux it moves at most
 * {@link #BATCH} pages per round and keeps retrying while the target is not reached (a guest with no free pages
 * cannot shrink until some are freed).
 *
 * <p>It publishes the guest's memory figures, in KiB as Xen's tools expect, under the domain's {@code data/}
 * (the directory guest agents write to):
 * <ul>
 *   <li>{@code data/meminfo_total} — populated memory (what the guest holds now)</li>
 *   <li>{@code data/meminfo_free} — free memory inside the guest</li>
 *   <li>{@code data/meminfo_used} — memory in use (kernel + processes)</li>
 *   <li>{@code data/memory_pressure} — allocations that found no free page since boot (a counter; a rise is
 *       pressure, as PSI's stall counters are)</li>
 * </ul>
 * Its work runs on vCPU 0 between guest operations, so it stops when the domain is paused.
 */
public final class BalloonDriver {
    private static final Logger LOG = System.getLogger(BalloonDriver.class.getName());
    public static final String TARGET = "memory/target";
    public static final String MEMINFO_TOTAL = "data/meminfo_total";
    public static final String MEMINFO_FREE = "data/meminfo_free";
    public static final String MEMINFO_USED = "data/meminfo_used";
    public static final String MEMORY_PRESSURE = "data/memory_pressure";
    static final int BATCH = 16_384;
    private static final long PUBLISH_INTERVAL_NANOS = 250_000_000L;
    private static final long RETRY_NANOS = 100_000_000L;

    private final GuestKernel kernel;
    private final XenStore store;
    private final String home;
    private volatile boolean targetChanged = true;
    private long lastPublish;
    private GuestKernel.MemoryFigures published;
    private String lastBadTarget;
    private long retryAt = Long.MAX_VALUE;

    public BalloonDriver(GuestKernel kernel, XenStore store, String home) {
        this.kernel = kernel;
        this.store = store;
        this.home = home;
    }

    /** Called from the xenstore watch: the target moved. */
    public void onTargetEvent() {
        targetChanged = true;
    }

    /** Whether work is pending now (the vCPU should run {@link #work} before its next operation). */
    public boolean hasWork(long nowNanos) {
        return targetChanged || nowNanos >= retryAt || nowNanos - lastPublish >= PUBLISH_INTERVAL_NANOS;
    }

    /** One round: move toward the target by at most a batch, then publish the figures if they changed. */
    public void work(int vcpu, long nowNanos) throws InterruptedException {
        if (nowNanos >= retryAt) {
            retryAt = Long.MAX_VALUE;
            targetChanged = true;
        }
        if (targetChanged) {
            targetChanged = false;
            Optional<Long> targetPages = readTargetPages();
            if (targetPages.isPresent()) {
                GuestKernel.MemoryFigures f = kernel.figures(vcpu);
                long target = Math.max(targetPages.get(), f.kernel() + 1);
                long current = f.populated();
                int moved = 0;
                if (target < current) {
                    moved = kernel.balloonOut(vcpu, (int) Math.min(BATCH, current - target));
                } else if (target > current) {
                    moved = kernel.balloonIn(vcpu, (int) Math.min(BATCH, target - current));
                }
                long remaining = Math.abs(target - current) - moved;
                if (remaining > 0 && moved > 0) {
                    targetChanged = true;      // more to do: next round, as Linux reschedules its balloon work
                } else if (remaining > 0) {
                    retryAt = nowNanos + RETRY_NANOS;   // stuck (no free pages): try again a little later
                }
            }
        }
        GuestKernel.MemoryFigures f = kernel.figures(vcpu);
        if (!f.equals(published) || nowNanos - lastPublish >= PUBLISH_INTERVAL_NANOS) {
            publish(f);
            published = f;
            lastPublish = nowNanos;
        }
    }

    /**
     * A stalled allocation, on any vCPU: the driver's next round (on vCPU 0, which the caller wakes) publishes the
     * pressure and retries the target, rather than waiting for its tick. Only vCPU 0 runs the driver, so its state
     * needs no lock.
     */
    public void onPressure() {
        targetChanged = true;
    }

    private Optional<Long> readTargetPages() {
        Optional<String> raw = store.read(home + "/" + TARGET);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        String text = raw.get().trim();
        try {
            long kib = Long.parseLong(text);
            if (kib <= 0) {
                throw new NumberFormatException();
            }
            lastBadTarget = null;
            return Optional.of(kib / 4);
        } catch (NumberFormatException e) {
            if (!text.equals(lastBadTarget)) {
                LOG.log(Level.WARNING, "{0}/{1} = \"{2}\" is not a positive number of KiB; balloon left as it is",
                        home, TARGET, text);
                lastBadTarget = text;
            }
            return Optional.empty();
        }
    }

    private void publish(GuestKernel.MemoryFigures f) {
        store.write(home + "/" + MEMINFO_TOTAL, Long.toString(f.populated() * 4));
        store.write(home + "/" + MEMINFO_FREE, Long.toString(f.free() * 4));
        store.write(home + "/" + MEMINFO_USED, Long.toString((f.used() + f.kernel()) * 4));
        store.write(home + "/" + MEMORY_PRESSURE, Long.toString(f.pressureEvents()));
    }
}
