package org.xenpostcopy.xen.emulated.guest;

/** Another pace for a workload. */
final class PacedWorkload implements Workload {
    private final Workload inner;
    private final long opsPerSecond;

    PacedWorkload(Workload inner, long opsPerSecond) {
        this.inner = inner;
        this.opsPerSecond = opsPerSecond;
    }

    @Override
    public String spec() {
        return inner.spec();
    }

    @Override
    public long opsPerSecond() {
        return opsPerSecond;
    }

    @Override
    public boolean step(GuestKernel k, VcpuRegisters regs) throws InterruptedException {
        return inner.step(k, regs);
    }
}
