package org.xenpostcopy.xen.emulated;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.guest.BalloonDriver;
import org.xenpostcopy.xen.emulated.guest.GuestCrashException;
import org.xenpostcopy.xen.emulated.guest.GuestKernel;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.emulated.guest.Workload;

/**
 * An emulated domain's one vCPU: the thread running the guest program (the workload, and the balloon driver's work
 * between its operations), its registers, and the scheduling state dom0's pause, unpause and context calls act on.
 *
 * <p>Emulated vCPUs stop at guest-operation boundaries, where Xen stops at instruction boundaries: a pause waits
 * for the running operation to finish, including one blocked on a paged-out gfn.
 */
final class EmulatedVcpu {
    private static final Logger LOG = System.getLogger(EmulatedDomain.class.getName());   // logs as its domain did
    private static final long PAUSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final DomainId id;
    private final DomainConfig config;
    private final GuestKernel kernel;
    private final BalloonDriver balloon;
    private final Workload workload;
    private final VcpuRecord record;

    // vCPU scheduling state, guarded by sched
    private final ReentrantLock sched = new ReentrantLock();
    private final Condition schedChanged = sched.newCondition();
    private int pauseCount;                   // a new domain is created paused, as xl create does before unpause
    private boolean dying;
    private boolean vcpuParked = true;
    private VcpuRegisters regs;               // null until booted or given a context
    private String crash;
    private boolean detaching;                // the host object closes; its pause is not dom0's
    private final Thread vcpuThread;

    private final AtomicLong opsCompleted = new AtomicLong();
    /** System.nanoTime() when the vCPU first left its park on this host, and when it last parked for a pause. */
    private volatile long firstRanAt = -1;
    private volatile long stoppedAt = -1;

    /**
     * A vCPU with {@code regs} (null: none yet, it waits for a context), paused or not, crashed ({@code crash} not
     * null: it never runs) or not; {@link #start} starts its thread. It tells {@code record} what changed.
     */
    EmulatedVcpu(DomainId id, DomainConfig config, GuestKernel kernel, BalloonDriver balloon, Workload workload,
                 VcpuRegisters regs, boolean paused, String crash, VcpuRecord record) {
        this.id = id;
        this.config = config;
        this.kernel = kernel;
        this.balloon = balloon;
        this.workload = workload;
        this.regs = regs;
        this.pauseCount = paused ? 1 : 0;
        this.crash = crash;
        this.record = record;
        if (regs != null) {
            opsCompleted.set(regs.ops);
            record.commit(regs);
        }
        this.vcpuThread = new Thread(this::runVcpu, config.name() + "-vcpu0");
        vcpuThread.setDaemon(true);
    }

    void start() {
        if (crash == null) {
            vcpuThread.start();
        }
    }

    // ---- the vCPU thread -------------------------------------------------------------------------------------

    private void runVcpu() {
        long nextOpAt = System.nanoTime();
        try {
            while (awaitRunnable()) {
                long now = System.nanoTime();
                if (balloon.hasWork(now)) {
                    balloon.work(0, now);
                    record.commit(null);       // the balloon's last pages stand; registers unchanged
                }
                long rate = workload.opsPerSecond();
                if (rate > 0) {
                    nextOpAt = Math.max(nextOpAt, now - TimeUnit.MILLISECONDS.toNanos(10));
                    if (nextOpAt > now) {
                        idle(nextOpAt - now);
                        continue;
                    }
                    nextOpAt += 1_000_000_000L / rate;
                }
                if (workload.step(kernel, regs)) {
                    regs.ops++;
                    opsCompleted.set(regs.ops);
                    record.commit(regs);
                } else {
                    record.commit(regs);       // a stalled allocation counted the pressure in the superblock
                    balloon.onPressure(0);
                    idle(STALL_NANOS);
                }
            }
        } catch (DomainDyingException | InterruptedException e) {
            // destroyed
        } catch (GuestCrashException e) {
            crashed(e.getMessage());
        } catch (RuntimeException e) {
            crashed(e.toString());
            LOG.log(Level.ERROR, config.name() + ": guest program failed", e);
        } finally {
            sched.lock();
            try {
                vcpuParked = true;
                schedChanged.signalAll();
            } finally {
                sched.unlock();
            }
        }
    }

    private void crashed(String why) {
        LOG.log(Level.ERROR, "{0}: guest crashed: {1}", config.name(), why);
        sched.lock();
        try {
            crash = why;
        } finally {
            sched.unlock();
        }
        record.runStateChanged();
    }

    /** Parks while paused or without a context; returns false once the domain is dying. */
    private boolean awaitRunnable() throws InterruptedException {
        sched.lock();
        try {
            while (!dying && (pauseCount > 0 || regs == null)) {
                if (!vcpuParked) {
                    vcpuParked = true;
                    stoppedAt = System.nanoTime();   // the guest's last instant before this pause
                    schedChanged.signalAll();
                }
                schedChanged.await();
            }
            vcpuParked = false;
            if (firstRanAt < 0 && !dying) {
                firstRanAt = System.nanoTime();
            }
            return !dying;
        } finally {
            sched.unlock();
        }
    }

    /** The guest's first instant on this host and its last before the latest pause (-1 where none yet). */
    GuestProbe.RunBounds runBounds() {
        return new GuestProbe.RunBounds(firstRanAt, vcpuParked ? stoppedAt : -1);
    }

    /** Halts the vCPU for up to {@code nanos}, waking early for a pause or kernel work. */
    private void idle(long nanos) throws InterruptedException {
        sched.lock();
        try {
            if (pauseCount == 0 && !dying) {
                schedChanged.awaitNanos(nanos);
            }
        } finally {
            sched.unlock();
        }
    }

    /** Wakes the vCPU if it idles, so it looks for kernel work at once. */
    void kick() {
        sched.lock();
        try {
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
    }

    /** Whether the caller is this vCPU, running the guest (not dom0, not the boot). */
    boolean isCurrentThread() {
        return Thread.currentThread() == vcpuThread;
    }

    /** For the vCPU's own waits: unwinds it once its domain is dying. */
    void checkAlive() {
        if (dying) {
            throw new DomainDyingException();
        }
    }

    /** For dom0's calls: refuses to act on a dying domain. */
    void checkAlive(String call) {
        if (dying) {
            throw new XenException(call, Errno.ESRCH, id + " is dying");
        }
    }

    // ---- what dom0 does to the vCPU --------------------------------------------------------------------------

    void pause() {
        pause(PAUSE_TIMEOUT_NANOS);
        record.runStateChanged();
    }

    private void pause(long timeoutNanos) {
        sched.lock();
        try {
            pauseCount++;
            schedChanged.signalAll();
            long deadline = System.nanoTime() + timeoutNanos;
            while (!vcpuParked && !dying) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    pauseCount--;
                    throw new XenException("xc_domain_pause", Errno.EBUSY, id + ": vCPU still blocked on a paged-out "
                            + "gfn after " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s (is the pager running?)");
                }
                schedChanged.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            pauseCount--;
            Thread.currentThread().interrupt();
            throw new XenException("xc_domain_pause", Errno.EINTR, id.toString());
        } finally {
            sched.unlock();
        }
    }

    /** Counts a pause and returns: a vCPU inside an operation (perhaps blocked on a fault) parks when it ends. */
    void pauseWithoutWaiting() {
        sched.lock();
        try {
            checkAlive("xc_domain_pause");
            pauseCount++;
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
        record.runStateChanged();
    }

    void unpause() {
        sched.lock();
        try {
            if (pauseCount == 0) {
                return;   // Xen ignores an unpause of a running domain
            }
            if (pauseCount == 1 && regs == null) {
                throw new XenException("xc_domain_unpause", Errno.EINVAL,
                        id + ": vcpu0 has no context; set it with setVcpuState before unpausing");
            }
            pauseCount--;
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
        record.runStateChanged();
    }

    private void requirePaused(String call) {
        if (pauseCount == 0 || !vcpuParked) {
            throw new XenException(call, Errno.EBUSY, id + " is running; pause it first");
        }
    }

    VcpuState vcpuState() {
        sched.lock();
        try {
            requirePaused("xc_vcpu_getcontext");
            if (regs == null) {
                throw new XenException("xc_vcpu_getcontext", Errno.EINVAL, id + ": vcpu0 has no context yet");
            }
            return new VcpuState(0, regs.save());
        } finally {
            sched.unlock();
        }
    }

    void setVcpuState(VcpuState state) {
        sched.lock();
        try {
            requirePaused("xc_vcpu_setcontext");
            if (state.vcpu() != 0) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, id + " has no vcpu" + state.vcpu());
            }
            VcpuRegisters loaded;
            try {
                loaded = VcpuRegisters.load(state.context());
            } catch (IllegalArgumentException e) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, e.getMessage());
            }
            if (!loaded.workload.equals(config.guest())) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, "context is of guest program '"
                        + loaded.workload + "', " + id + " runs '" + config.guest() + "'");
            }
            regs = loaded;
            opsCompleted.set(loaded.ops);
            record.commit(loaded);
        } finally {
            sched.unlock();
        }
    }

    /** The domain's run state as the vCPU shows it: dying, shut down (crashed), paused or running. */
    DomainInfo.State runState() {
        sched.lock();
        try {
            return dying ? DomainInfo.State.DYING
                    : crash != null ? DomainInfo.State.SHUTDOWN
                    : pauseCount > 0 ? DomainInfo.State.PAUSED : DomainInfo.State.RUNNING;
        } finally {
            sched.unlock();
        }
    }

    /** Whether dom0 holds the domain paused (a pause of {@link #detach} not counted): what the record keeps. */
    boolean pausedByDom0() {
        sched.lock();
        try {
            return pauseCount - (detaching ? 1 : 0) > 0;
        } finally {
            sched.unlock();
        }
    }

    /** Operations the guest program has completed (carried across migrations in its registers). */
    long opsCompleted() {
        return opsCompleted.get();
    }

    /** Why the guest crashed, or null. */
    String crashReason() {
        sched.lock();
        try {
            return crash;
        } finally {
            sched.unlock();
        }
    }

    // ---- teardown ----------------------------------------------------------------------------------------------

    /**
     * The host object closes without destroying the domain: stop the vCPU between two operations, so the registers
     * stored last and memory agree, without counting it as dom0's pause. Returns false if the vCPU stayed blocked on
     * a paged-out gfn for {@code timeoutNanos} (its operation is then cut short where it waits).
     */
    boolean detach(long timeoutNanos) {
        sched.lock();
        try {
            detaching = true;
        } finally {
            sched.unlock();
        }
        try {
            pause(timeoutNanos);
            return true;
        } catch (XenException e) {
            return false;
        }
    }

    /** Marks the domain dying and wakes the vCPU, so it stops at its next wait. */
    void markDying() {
        sched.lock();
        try {
            dying = true;
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
    }

    /** Interrupts the vCPU thread and waits (up to 10 s) for it to end. */
    void awaitExit() {
        vcpuThread.interrupt();
        try {
            vcpuThread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
