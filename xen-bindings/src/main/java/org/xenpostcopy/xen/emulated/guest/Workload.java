package org.xenpostcopy.xen.emulated.guest;

/**
 * A guest program, run one operation at a time by each vCPU. Its state lives in the vCPU's registers and in
 * guest memory, so a migrated vCPU carries on where it stopped.
 *
 * <p>The paper's guest programs ({@link WorkloadSpec}) each keep their cursors in registers {@code r[0..]};
 * {@code r[0]} is the phase. Operations touch memory through the {@link GuestKernel}, so each one reads its
 * page-table and frame-table entries too, as a real process's accesses walk real kernel structures.
 */
public interface Workload {
    /** The spec it was built from, e.g. {@code stress-write:256M}. */
    String spec();

    /**
     * Performs one operation (one page read or written, allocated or freed). Returns false when it could not make
     * progress (no free memory): the vCPU then waits briefly, as a stalled allocation would.
     */
    boolean step(GuestKernel kernel, VcpuRegisters regs) throws InterruptedException;

    /** The nominal speed of this guest program, in operations per second (0 = unpaced). */
    long opsPerSecond();
}
