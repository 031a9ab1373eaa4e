package org.xenpostcopy.xen.emulated.guest;

/** A network benchmark's socket buffers: a small set of pages rewritten at a very high rate. */
final class NetperfWorkload implements Workload {
    private static final int PHASE = 0;   // registers r[0], r[1]: the phase and a cursor (see Workload)
    private static final int I = 1;

    private final String spec;
    private final long buffers;

    NetperfWorkload(String spec, long buffers) {
        this.spec = spec;
        this.buffers = buffers;
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public long opsPerSecond() {
        return 200_000;
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
            if (++r[I] == buffers) {
                r[PHASE] = 1;
                r[I] = 0;
            }
            return true;
        }
        k.write(vcpu, r[I]);
        regs.writes++;
        r[I] = (r[I] + 1) % buffers;
        return true;
    }
}
