package org.xenpostcopy.xen.emulated;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
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
 * An emulated domain's vCPUs: one thread each, running the guest program on its own registers (vCPU 0 also runs
 * the balloon driver's work between its operations), and the scheduling state dom0's pause, unpause and context
 * calls act on. As in Xen, pause and unpause act on the whole domain (a pause returns once every vCPU has
 * stopped), contexts are per vCPU, and a crash on any vCPU is the domain's.
 *
 * <p>Emulated vCPUs stop at guest-operation boundaries, where Xen stops at instruction boundaries: a pause waits
 * for each running operation to finish, including one blocked on a paged-out gfn.
 */
final class EmulatedVcpus {
    private static final Logger LOG = System.getLogger(EmulatedDomain.class.getName());   // logs as its domain did
    private static final long PAUSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private final DomainId id;
    private final DomainConfig config;
    private final GuestKernel kernel;
    private final BalloonDriver balloon;
    private final VcpuRecord record;
    private final List<Vcpu> vcpus = new ArrayList<>();

    // scheduling state of the domain and its vCPUs, guarded by sched
    private final ReentrantLock sched = new ReentrantLock();
    private final Condition schedChanged = sched.newCondition();
    private int pauseCount;                   // a new domain is created paused, as xl create does before unpause
    private boolean dying;
    private String crash;
    private boolean detaching;                // the host object closes; its pause is not dom0's

    /**
     * The domain's vCPUs, one per workload share: {@code regs} holds each one's registers (an entry null: none yet,
     * it waits for a context), paused or not, crashed ({@code crash} not null: they never run) or not; {@link #start}
     * starts their threads. They tell {@code record} what changed.
     */
    EmulatedVcpus(DomainId id, DomainConfig config, GuestKernel kernel, BalloonDriver balloon, List<Workload> workloads,
                  List<VcpuRegisters> regs, boolean paused, String crash, VcpuRecord record) {
        this.id = id;
        this.config = config;
        this.kernel = kernel;
        this.balloon = balloon;
        this.record = record;
        this.pauseCount = paused ? 1 : 0;
        this.crash = crash;
        for (int i = 0; i < workloads.size(); i++) {
            vcpus.add(new Vcpu(i, workloads.get(i), regs.get(i)));
        }
    }

    void start() {
        if (crash == null) {
            for (Vcpu v : vcpus) {
                v.thread.start();
            }
        }
    }

    int count() {
        return vcpus.size();
    }

    /** One vCPU: its registers, its thread and where that thread is. Guarded by the domain's sched lock. */
    private final class Vcpu {
        final int index;
        final Workload workload;
        final Thread thread;
        VcpuRegisters regs;                   // null until booted or given a context
        boolean parked = true;
        final AtomicLong opsCompleted = new AtomicLong();
        /** Time this vCPU's thread spent blocked on paged-out gfns, in all (written by that thread alone). */
        volatile long blockedOnPagesNanos;
        /** System.nanoTime() when this vCPU first left its park on this host, and when it last parked for a pause. */
        volatile long firstRanAt = -1;
        volatile long stoppedAt = -1;

        Vcpu(int index, Workload workload, VcpuRegisters regs) {
            this.index = index;
            this.workload = workload;
            this.regs = regs;
            if (regs != null) {
                opsCompleted.set(regs.ops);
                record.commit(index, regs);
            }
            this.thread = new Thread(this::run, config.name() + "-vcpu" + index);
            thread.setDaemon(true);
        }

        private void run() {
            VcpuPace pace = new VcpuPace(System.nanoTime());
            try {
                while (awaitRunnable(this)) {
                    long now = System.nanoTime();
                    if (index == 0 && balloon.hasWork(now)) {
                        boolean done = false;
                        try {
                            balloon.work(index, now);
                            record.commit(index, null);    // the balloon's last pages stand; registers unchanged
                            done = true;
                        } finally {
                            endOperation(done);
                        }
                        now = System.nanoTime();
                    }
                    pace.blockedInAll(blockedOnPagesNanos);    // the last operation's faults, and the balloon's
                    long rate = workload.opsPerSecond();
                    if (rate > 0) {
                        long idleFor = pace.idleBeforeNext(now, rate);
                        if (idleFor > 0) {
                            idle(idleFor);
                            continue;
                        }
                    }
                    boolean progressed;
                    boolean done = false;
                    try {
                        progressed = workload.step(kernel, regs);
                        if (progressed) {
                            regs.ops++;
                            opsCompleted.set(regs.ops);
                        }
                        record.commit(index, regs);   // a stalled allocation counted the pressure in the superblock
                        done = true;
                    } finally {
                        endOperation(done);
                    }
                    if (!progressed) {
                        balloon.onPressure();
                        if (index != 0) {
                            kick();                   // vCPU 0 runs the balloon driver: wake it to publish
                        }
                        idle(STALL_NANOS);
                    }
                }
            } catch (DomainDyingException | InterruptedException e) {
                // destroyed
            } catch (GuestCrashException e) {
                crashed(index, e.getMessage());
            } catch (RuntimeException e) {
                crashed(index, e.toString());
                LOG.log(Level.ERROR, config.name() + ": guest program failed on vcpu" + index, e);
            } finally {
                sched.lock();
                try {
                    parked = true;
                    schedChanged.signalAll();
                } finally {
                    sched.unlock();
                }
            }
        }
    }

    // ---- the vCPU threads --------------------------------------------------------------------------------------

    /** An operation ends: committed, it lets the kernel lock go; cut short, it keeps it (see abandonOperation). */
    private void endOperation(boolean committed) {
        if (committed) {
            kernel.endOperation();
        } else {
            kernel.abandonOperation();
        }
    }

    private void crashed(int vcpu, String why) {
        LOG.log(Level.ERROR, "{0}: guest crashed on vcpu{1}: {2}", config.name(), vcpu, why);
        sched.lock();
        try {
            if (crash == null) {
                crash = why;
            }
            schedChanged.signalAll();          // the other vCPUs stop at their next boundary
        } finally {
            sched.unlock();
        }
        record.runStateChanged();
    }

    /** Parks {@code v} while the domain is paused or it has no context; false once the domain is dying or crashed. */
    private boolean awaitRunnable(Vcpu v) throws InterruptedException {
        sched.lock();
        try {
            while (!dying && crash == null && (pauseCount > 0 || v.regs == null)) {
                if (!v.parked) {
                    v.parked = true;
                    v.stoppedAt = System.nanoTime();   // this vCPU's last instant before this pause
                    schedChanged.signalAll();
                }
                schedChanged.await();
            }
            if (dying || crash != null) {
                return false;
            }
            v.parked = false;
            if (v.firstRanAt < 0) {
                v.firstRanAt = System.nanoTime();
            }
            return true;
        } finally {
            sched.unlock();
        }
    }

    /**
     * The guest's first instant on this host (its first vCPU to run) and its last before the latest pause (its last
     * vCPU to stop); -1 where none yet.
     */
    GuestProbe.RunBounds runBounds() {
        sched.lock();
        try {
            long first = -1;
            long last = -1;
            boolean allParked = true;
            for (Vcpu v : vcpus) {
                if (v.firstRanAt >= 0 && (first < 0 || v.firstRanAt < first)) {
                    first = v.firstRanAt;
                }
                allParked &= v.parked;
                last = Math.max(last, v.stoppedAt);
            }
            return new GuestProbe.RunBounds(first, allParked ? last : -1);
        } finally {
            sched.unlock();
        }
    }

    /** Halts the calling vCPU for up to {@code nanos}, waking early for a pause or kernel work. */
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

    /** Wakes the vCPUs that idle, so vCPU 0 looks for kernel work at once. */
    void kick() {
        sched.lock();
        try {
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
    }

    /** The index of the vCPU the caller is, running the guest; -1 for anyone else (dom0, the boot). */
    int currentVcpu() {
        Thread t = Thread.currentThread();
        for (Vcpu v : vcpus) {
            if (v.thread == t) {
                return v.index;
            }
        }
        return -1;
    }

    /** The calling vCPU thread was blocked on a paged-out gfn for {@code nanos}; other threads are not counted. */
    void blockedOnPage(long nanos) {
        int vcpu = currentVcpu();
        if (vcpu >= 0) {
            vcpus.get(vcpu).blockedOnPagesNanos += nanos;
        }
    }

    /** A vCPU's time blocked on paged-out gfns, in all (for tests). */
    long blockedOnPagesNanos(int vcpu) {
        return vcpus.get(vcpu).blockedOnPagesNanos;
    }

    /** For the vCPUs' own waits: unwinds one once its domain is dying. */
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

    private boolean allParked() {
        for (Vcpu v : vcpus) {
            if (!v.parked) {
                return false;
            }
        }
        return true;
    }

    // ---- what dom0 does to the vCPUs -------------------------------------------------------------------------

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
            while (!allParked() && !dying) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    pauseCount--;
                    schedChanged.signalAll();
                    throw new XenException("xc_domain_pause", Errno.EBUSY, id + ": a vCPU is still blocked on a "
                            + "paged-out gfn after " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
                            + " s (is the pager running?)");
                }
                schedChanged.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            pauseCount--;
            schedChanged.signalAll();
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
            if (pauseCount == 1) {
                for (Vcpu v : vcpus) {
                    if (v.regs == null) {
                        throw new XenException("xc_domain_unpause", Errno.EINVAL, id + ": vcpu" + v.index
                                + " has no context; set it with setVcpuState before unpausing");
                    }
                }
            }
            pauseCount--;
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
        record.runStateChanged();
    }

    private void requirePaused(String call) {
        if (pauseCount == 0 || !allParked()) {
            throw new XenException(call, Errno.EBUSY, id + " is running; pause it first");
        }
    }

    /** Every vCPU's context, vCPU 0 first. */
    List<VcpuState> vcpuStates() {
        sched.lock();
        try {
            requirePaused("xc_vcpu_getcontext");
            List<VcpuState> out = new ArrayList<>(vcpus.size());
            for (Vcpu v : vcpus) {
                if (v.regs == null) {
                    throw new XenException("xc_vcpu_getcontext", Errno.EINVAL, id + ": vcpu" + v.index
                            + " has no context yet");
                }
                out.add(new VcpuState(v.index, v.regs.save()));
            }
            return out;
        } finally {
            sched.unlock();
        }
    }

    void setVcpuState(VcpuState state) {
        sched.lock();
        try {
            requirePaused("xc_vcpu_setcontext");
            if (state.vcpu() < 0 || state.vcpu() >= vcpus.size()) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, id + " has no vcpu" + state.vcpu()
                        + " (it has " + vcpus.size() + ")");
            }
            VcpuRegisters loaded;
            try {
                loaded = VcpuRegisters.load(state.context());
            } catch (IllegalArgumentException e) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, e.getMessage());
            }
            if (loaded.vcpu != state.vcpu()) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, "the context is vcpu" + loaded.vcpu
                        + "'s, given for vcpu" + state.vcpu());
            }
            if (!loaded.workload.equals(config.guest())) {
                throw new XenException("xc_vcpu_setcontext", Errno.EINVAL, "context is of guest program '"
                        + loaded.workload + "', " + id + " runs '" + config.guest() + "'");
            }
            Vcpu v = vcpus.get(state.vcpu());
            v.regs = loaded;
            v.opsCompleted.set(loaded.ops);
            record.commit(v.index, loaded);
        } finally {
            sched.unlock();
        }
    }

    /** The domain's run state as its vCPUs show it: dying, shut down (crashed), paused or running. */
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

    /** Operations the guest program has completed on all vCPUs (carried across migrations in their registers). */
    long opsCompleted() {
        long sum = 0;
        for (Vcpu v : vcpus) {
            sum += v.opsCompleted.get();
        }
        return sum;
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
     * The host object closes without destroying the domain: stop the vCPUs between two operations, so the registers
     * stored last and memory agree, without counting it as dom0's pause. Returns false if a vCPU stayed blocked on a
     * paged-out gfn for {@code timeoutNanos} (its operation is then cut short where it waits).
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

    /** Marks the domain dying and wakes the vCPUs, so they stop at their next wait. */
    void markDying() {
        sched.lock();
        try {
            dying = true;
            schedChanged.signalAll();
        } finally {
            sched.unlock();
        }
    }

    /** Interrupts the vCPU threads and waits (up to 10 s in all) for them to end. */
    void awaitExit() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Vcpu v : vcpus) {
            v.thread.interrupt();
        }
        try {
            for (Vcpu v : vcpus) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    v.thread.join(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
