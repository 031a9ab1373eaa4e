package org.xenpostcopy.xen.emulated.guest;

/**
 * A working set swept page by page, forever: the {@code stress} tool's VM worker (allocate the set, then read —
 * and check — or write each page in turn, starting anywhere), and a network benchmark's socket buffers (a small
 * set rewritten at a very high rate, from the first buffer on).
 */
final class StressWorkload implements Workload {
    private static final int PHASE = 0;   // registers r[0], r[1]: the phase and a cursor (see Workload)
    private static final int I = 1;

    private final String spec;
    private final long wss;
    private final boolean writes;
    private final boolean randomStart;
    private final long opsPerSecond;

    private StressWorkload(String spec, long wss, boolean writes, boolean randomStart, long opsPerSecond) {
        this.spec = spec;
        this.wss = wss;
        this.writes = writes;
        this.randomStart = randomStart;
        this.opsPerSecond = opsPerSecond;
    }

    /** {@code stress-read:<WSS>} or {@code stress-write:<WSS>}. */
    static StressWorkload stress(String spec, long wss, boolean writes) {
        return new StressWorkload(spec, wss, writes, true, 50_000);
    }

    /** {@code netperf}: {@code buffers} pages rewritten in turn. */
    static StressWorkload netperf(String spec, long buffers) {
        return new StressWorkload(spec, buffers, true, false, 200_000);
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public long opsPerSecond() {
        return opsPerSecond;
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
                r[I] = randomStart ? regs.nextBelow(wss) : 0;
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
