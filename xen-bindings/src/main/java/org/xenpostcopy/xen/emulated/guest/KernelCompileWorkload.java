package org.xenpostcopy.xen.emulated.guest;

/**
 * A kernel build: a source tree read in directory-sized bursts (with an occasional edit), temporary buffers
 * allocated, written, read and freed per compile unit, and object files that accumulate until a
 * {@code make clean} frees them: moderate dirtying, several hot regions, memory use that grows and shrinks.
 */
final class KernelCompileWorkload implements Workload {
    private static final int PHASE = 0;   // registers r[0], r[1]: the phase and a cursor (see Workload)
    private static final int I = 1;

    private static final int SRC_POPULATE = 0;
    private static final int READ_SRC = 1;
    private static final int TMP_ALLOC = 2;
    private static final int TMP_READ = 3;
    private static final int OBJ = 4;
    private static final int TMP_FREE = 5;
    private static final int CLEAN = 6;
    private static final int DIR = 2;      // current source directory
    private static final int UNIT = 3;     // temporary pages of this unit
    private static final int OBJS = 4;     // object files written so far
    private static final int DIR_PAGES = 64;
    private static final int READS_PER_UNIT = 8;
    private static final int MAX_TMP = 128;

    private final String spec;
    private final long src;
    private final long obj;
    private final long tmpBase;

    KernelCompileWorkload(String spec, long dataPages) {
        this.spec = spec;
        this.src = Math.max(16, dataPages / 10);
        this.obj = Math.max(16, dataPages / 4);
        this.tmpBase = src + obj;
        if (tmpBase + MAX_TMP > dataPages) {
            throw new IllegalArgumentException("kernel-compile needs a guest of at least " + (tmpBase + MAX_TMP)
                    + " data pages");
        }
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public long opsPerSecond() {
        return 20_000;
    }

    @Override
    public boolean step(GuestKernel k, VcpuRegisters regs) throws InterruptedException {
        long[] r = regs.r;
        int vcpu = regs.vcpu;
        switch ((int) r[PHASE]) {
            case SRC_POPULATE -> {
                if (!k.allocate(vcpu, r[I])) {
                    return false;
                }
                regs.writes++;
                if (++r[I] == src) {
                    startUnit(regs);
                }
            }
            case READ_SRC -> {
                long vpn = (r[DIR] * DIR_PAGES + r[I]) % src;
                if (r[I] == 0 && regs.nextBelow(32) == 0) {
                    k.write(vcpu, vpn);        // an edit
                    regs.writes++;
                } else {
                    k.read(vcpu, vpn);
                }
                if (++r[I] == READS_PER_UNIT) {
                    next(r, TMP_ALLOC);
                }
            }
            case TMP_ALLOC -> {
                if (!k.allocate(vcpu, tmpBase + r[I])) {
                    return false;
                }
                regs.writes++;
                if (++r[I] == r[UNIT]) {
                    next(r, TMP_READ);
                }
            }
            case TMP_READ -> {
                k.read(vcpu, tmpBase + r[I]);
                if (++r[I] == r[UNIT]) {
                    next(r, OBJ);
                }
            }
            case OBJ -> {
                if (r[OBJS] == obj) {
                    next(r, CLEAN);
                    return true;
                }
                if (!k.allocate(vcpu, src + r[OBJS])) {
                    return false;
                }
                regs.writes++;
                r[OBJS]++;
                next(r, TMP_FREE);
            }
            case TMP_FREE -> {
                k.release(vcpu, tmpBase + r[I]);
                if (++r[I] == r[UNIT]) {
                    startUnit(regs);
                }
            }
            case CLEAN -> {
                k.release(vcpu, src + r[I]);
                if (++r[I] == r[OBJS]) {
                    r[OBJS] = 0;
                    next(r, OBJ);
                }
            }
            default -> throw new GuestCrashException("kernel-compile: bad phase register " + r[PHASE]);
        }
        return true;
    }

    private static void next(long[] r, int phase) {
        r[PHASE] = phase;
        r[I] = 0;
    }

    private void startUnit(VcpuRegisters regs) {
        long[] r = regs.r;
        next(r, READ_SRC);
        r[DIR] = regs.nextBelow(Math.max(1, src / DIR_PAGES));
        r[UNIT] = 16 + regs.nextBelow(MAX_TMP - 16 + 1);
    }
}
