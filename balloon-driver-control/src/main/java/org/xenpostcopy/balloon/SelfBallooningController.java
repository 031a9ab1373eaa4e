package org.xenpostcopy.balloon;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * Runs dynamic self-ballooning for the domains it is asked to manage, through xenstore only. Every interval it
 * reads each guest's figures and lets the {@link BalloonPolicy} move {@code memory/target}; a watch on the guest's
 * pressure counter makes it react between intervals. Everything for all domains runs on one thread, so decisions
 * about one domain never interleave. Stopping (or closing) restores the target each domain had when it started.
 */
public final class SelfBallooningController implements AutoCloseable {
    private static final Logger LOG = System.getLogger(SelfBallooningController.class.getName());

    private final XenStore store;
    private final BalloonPolicy policy;
    private final ScheduledExecutorService exec;
    private final boolean ownsExecutor;
    private final Map<DomainId, Managed> managed = new ConcurrentHashMap<>();

    private final class Managed {
        final DomainId domain;
        final String home;
        final long originalTargetKiB;
        XenStoreWatch watch;
        ScheduledFuture<?> timer;
        long ticks;
        long cooldownUntil = -1;
        long lastPressure = -1;
        long adjustments;
        String lastDecision = "not yet decided";
        String problem;
        GuestMemoryStats lastStats;

        Managed(DomainId domain, long originalTargetKiB) {
            this.domain = domain;
            this.home = XenStore.domainPath(domain);
            this.originalTargetKiB = originalTargetKiB;
        }

        Optional<String> read(String key) {
            return store.read(home + "/" + key);
        }
    }

    public SelfBallooningController(XenStore store, BalloonPolicy policy) {
        this(store, policy, Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsb-controller");
            t.setDaemon(true);
            return t;
        }), true);
    }

    /** With the caller's executor (tests pass one that runs nothing by itself). */
    SelfBallooningController(XenStore store, BalloonPolicy policy, ScheduledExecutorService exec, boolean ownsExecutor) {
        this.store = store;
        this.policy = policy;
        this.exec = exec;
        this.ownsExecutor = ownsExecutor;
    }

    public BalloonPolicy policy() {
        return policy;
    }

    public boolean isManaging(DomainId domain) {
        return managed.containsKey(domain);
    }

    public List<DomainId> managedDomains() {
        return List.copyOf(managed.keySet());
    }

    /**
     * Starts managing a domain. Its current {@code memory/target} is remembered and restored at {@link #stop}.
     *
     * @throws IllegalArgumentException if the domain has no usable target (missing, not a number)
     */
    public void start(DomainId domain) {
        String home = XenStore.domainPath(domain);
        String raw = store.read(home + "/" + GuestMemoryStats.TARGET).orElseThrow(() -> new IllegalArgumentException(
                domain + " has no " + home + "/" + GuestMemoryStats.TARGET + ": is it running?"));
        long original;
        try {
            original = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(home + "/" + GuestMemoryStats.TARGET + " is \"" + raw
                    + "\", not a number of KiB; not managing " + domain);
        }
        Managed m = new Managed(domain, original);
        if (managed.putIfAbsent(domain, m) != null) {
            return;
        }
        m.watch = store.watch(home + "/" + GuestMemoryStats.PRESSURE, "dsb-" + domain.value(),
                (path, token) -> exec.execute(() -> tick(m, false)));
        long period = policy.interval().toNanos();
        m.timer = exec.scheduleAtFixedRate(() -> tick(m, true), period, period, TimeUnit.NANOSECONDS);
        LOG.log(Level.INFO, "DSB: managing {0} (target {1} KiB)", domain, Long.toString(original));
    }

    /**
     * Stops managing a domain; with {@code restore}, puts back the target it had when managing started, after any
     * decision in flight. Not to be called on the controller's own thread.
     */
    public void stop(DomainId domain, boolean restore) {
        Managed m = managed.remove(domain);
        if (m == null) {
            return;
        }
        if (m.timer != null) {
            m.timer.cancel(false);
        }
        if (m.watch != null) {
            m.watch.close();
        }
        if (restore) {
            // On the controller's thread, behind a decision it may be in the middle of: that decision's write
            // would otherwise land after this one and leave the guest ballooned after the stop.
            Runnable write = () -> {
                try {
                    store.write(m.home + "/" + GuestMemoryStats.TARGET, Long.toString(m.originalTargetKiB));
                } catch (XenException e) {
                    LOG.log(Level.WARNING, "DSB: could not restore the target of {0}: {1}", domain, e.getMessage());
                }
            };
            try {
                callOnThread(() -> {
                    write.run();
                    return null;
                });
            } catch (RejectedExecutionException | IllegalStateException notThere) {
                // No controller thread any more (no decision can follow), or it did not answer: restore from here
                // rather than leave the guest ballooned; a stuck decision may still overwrite it, and is logged.
                LOG.log(Level.WARNING, "DSB: restoring the target of {0} from the caller ({1})", domain,
                        notThere.getMessage());
                write.run();
            }
        }
        LOG.log(Level.INFO, "DSB: stopped managing {0}{1}", domain, restore ? " (target restored)" : "");
    }

    public Optional<BalloonStatus> status(DomainId domain) {
        Managed m = managed.get(domain);
        if (m == null) {
            return Optional.empty();
        }
        return Optional.of(callOnThread(() -> {
            GuestMemoryStats s = m.lastStats;
            return new BalloonStatus(domain, true, m.originalTargetKiB, s == null ? -1 : s.targetKiB(),
                    s == null ? -1 : s.usedKiB(), s == null ? -1 : s.freeKiB(), s == null ? -1 : s.pressureEvents(),
                    m.adjustments, m.lastDecision, m.problem);
        }));
    }

    /**
     * Inflates the balloon all the way to the goal now and waits (up to {@code timeout}) for the guest to get there:
     * what a migration does first, so free pages are not sent. Returns the guest's figures before inflating.
     * The domain must be managed.
     */
    public Optional<GuestMemoryStats> inflateNow(DomainId domain, Duration timeout) {
        Managed m = managed.get(domain);
        if (m == null) {
            throw new IllegalStateException(domain + " is not managed by DSB");
        }
        GuestMemoryStats before = callOnThread(() -> {
            if (managed.get(domain) != m) {
                return null;       // stopped meanwhile: its target is restored, leave it
            }
            GuestMemoryStats.Result r = GuestMemoryStats.read(m::read);
            tickWith(m, r, false, true);
            return r.stats();
        });
        if (before == null) {
            return Optional.empty();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            GuestMemoryStats.Result r = GuestMemoryStats.read(m::read);
            if (r.ok() && r.stats().totalKiB() <= r.stats().targetKiB() + policy.hysteresisKiB()) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));   // the guest balloons at its own pace
        }
        return Optional.of(before);
    }

    /** Runs one decision now, on the controller's thread (for tests and for {@code xlpc dsb}). */
    public void tickNow(DomainId domain) {
        Managed m = managed.get(domain);
        if (m != null) {
            callOnThread(() -> {
                tick(m, true);
                return null;
            });
        }
    }

    /** A decision: on the timer ({@code timer}), or on the pressure watch, where it acts only on a new stall. */
    private void tick(Managed m, boolean timer) {
        if (managed.get(m.domain) != m) {
            return;   // stopped meanwhile
        }
        GuestMemoryStats.Result r = GuestMemoryStats.read(m::read);
        if (!timer && !(r.ok() && m.lastPressure >= 0 && r.stats().pressureEvents() > m.lastPressure)) {
            // The guest rewrites its figures several times a second, pressure or not; deciding on each write would
            // make the interval meaningless (the paper's Fig. 11 varies it). Only a rise is news; the first look
            // (the watch fires once when set) only takes the count a rise is measured from.
            if (!timer && r.ok() && m.lastPressure < 0) {
                m.lastPressure = r.stats().pressureEvents();
            }
            return;
        }
        tickWith(m, r, timer, false);
    }

    private void tickWith(Managed m, GuestMemoryStats.Result r, boolean timer, boolean immediate) {
        try {
            if (timer) {
                m.ticks++;
            }
            if (!r.ok()) {
                String p = r.problem().toString();
                if (!p.equals(m.problem)) {
                    LOG.log(Level.WARNING, "DSB: {0}: {1}/{2}; left the target alone", m.domain, m.home, p);
                }
                m.problem = p;
                return;
            }
            m.problem = null;
            GuestMemoryStats s = r.stats();
            m.lastStats = s;
            boolean pressure = m.lastPressure >= 0 && s.pressureEvents() > m.lastPressure;
            m.lastPressure = s.pressureEvents();
            if (pressure) {
                m.cooldownUntil = m.ticks + policy.cooldownIntervals();
            }
            boolean cooling = !immediate && m.ticks < m.cooldownUntil;
            BalloonPolicy.Decision d = policy.decide(s, pressure, cooling, immediate);
            m.lastDecision = d.why();
            if (d.changes(s.targetKiB())) {
                store.write(m.home + "/" + GuestMemoryStats.TARGET, Long.toString(d.newTargetKiB()));
                m.adjustments++;
                LOG.log(Level.DEBUG, "DSB: {0}: target {1} -> {2} KiB ({3})", m.domain, Long.toString(s.targetKiB()),
                        Long.toString(d.newTargetKiB()), d.why());
            }
        } catch (XenException e) {
            m.problem = e.getMessage();
            LOG.log(Level.WARNING, "DSB: {0}: {1}", m.domain, e.getMessage());
        }
    }

    private <T> T callOnThread(java.util.concurrent.Callable<T> c) {
        try {
            return exec.submit(c).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the DSB controller did not answer within 30 s", e);
        }
    }

    /** Stops managing every domain, restoring their targets. */
    @Override
    public void close() {
        for (DomainId d : List.copyOf(managed.keySet())) {
            stop(d, true);
        }
        if (ownsExecutor) {
            exec.shutdownNow();
        }
    }
}
