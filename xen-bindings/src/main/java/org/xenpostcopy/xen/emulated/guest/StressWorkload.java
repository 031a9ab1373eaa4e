package org.xenpostcopy.xen.emulated.guest;

/**
 * The {@code stress} tool's VM worker: allocates a working set, then sweeps it page by page, forever, reading
 * (and checking) or writing each page.
 */
final class StressWorkload implements Workload {
    private static final int PHASE = 0;   // registers r[0], r[1]: the phase and a cursor (see Workload)
    private static final int I = 1;

    private final String spec;
    private final long wss;
    private final boolean writes;

    StressWorkload(String spec, long wss, boolean writes) {
        this.spec = spec;
        this.wss = wss;
        this.writes = writes;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public long opsPerSecond() {
        return 50_000;
    }

    @Override
    public boolean step(GuestKernel k, VcpuRegisters regs) throws InterruptedException {
        long[] r = regs.r;
        int vcpu = regs.vcpu;
        if (r[PHASE] == 0) {
            if (!k.allocate(vcpu, r[I])) {
                return false;
            }
            regs.writes++;
            if (++r[I] == wss) {
                r[PHASE] = 1;
                r[I] = regs.nextBelow(wss);
            }
            return true;
        }
        if (writes) {
            k.write(vcpu, r[I]);
            regs.writes++;
        } else {
            k.read(vcpu, r[I]);
        }
        r[I] = (r[I] + 1) % wss;
        return true;
    }
}
