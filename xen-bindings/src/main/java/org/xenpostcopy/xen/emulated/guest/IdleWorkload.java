package org.xenpostcopy.xen.emulated.guest;

/** A guest with nothing to do but its timer: each vCPU rewrites one of its 16 pages about 50 times a second. */
final class IdleWorkload implements Workload {
    private static final int PHASE = 0;   // registers r[0], r[1]: the phase and a cursor (see Workload)
    private static final int I = 1;

    static final int PAGES = 16;
    private final String spec;

    IdleWorkload(String spec) {
        this.spec = spec;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public long opsPerSecond() {
        return 50;
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
            if (++r[I] == PAGES) {
                r[PHASE] = 1;
                r[I] = 0;
            }
            return true;
        }
        k.write(vcpu, r[I]);
        regs.writes++;
        r[I] = (r[I] + 1) % PAGES;
        return true;
    }
}
