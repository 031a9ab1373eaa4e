package org.xenpostcopy.xen.emulated;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/**
 * A persistent domain's vCPU registers, in a shared mapping of its {@code vcpu0} file: stored after every guest
 * operation, so a daemon killed while the guest runs leaves the registers of the last completed operation.
 *
 * <p>Two slots and a header naming the valid one: a store fills the other slot, then flips the header with one
 * aligned 8-byte write, so a kill in the middle of a store leaves the previous registers whole. It costs a dozen
 * stores per operation and no system call; the page cache keeps them when the process dies.
 */
final class RegisterFile implements AutoCloseable {
    static final int SIZE = 4096;
    private static final long MAGIC = 0x31524745525043L;   // "CPREGR1"
    private static final int HEADER = 8;                    // 0: none yet, 1 or 2: the valid slot
    private static final int SLOT_SIZE = 256;                // rng, ops, writes, r[0..7]: 88 bytes used

    private final OffHeapMemory mapping;
    private final ByteBuffer b;
    private int valid;

    /** Over a mapping of {@link #SIZE} bytes: a new file (all zero) or one a previous process wrote. */
    RegisterFile(OffHeapMemory mapping) {
        this.mapping = mapping;
        this.b = mapping.buffer();
        long magic = b.getLong(0);
        if (magic == 0) {
            b.putLong(0, MAGIC);
        } else if (magic != MAGIC) {
            throw new IllegalStateException("vcpu0 file has no register magic");
        }
        valid = (int) b.getLong(HEADER);
    }

    /** Stores {@code regs} (on the vCPU thread, or while the vCPU is paused: one writer at a time). */
    void store(VcpuRegisters regs) {
        int slot = valid == 1 ? 2 : 1;
        int base = slot * SLOT_SIZE;
        b.putLong(base, regs.rng);
        b.putLong(base + 8, regs.ops);
        b.putLong(base + 16, regs.writes);
        for (int i = 0; i < VcpuRegisters.GENERAL; i++) {
            b.putLong(base + 24 + i * 8, regs.r[i]);
        }
        VarHandle.releaseFence();   // the slot is whole before the header names it
        b.putLong(HEADER, slot);
        valid = slot;
    }

    /** The registers last stored, for a vCPU of guest program {@code workload}; null if none ever were. */
    VcpuRegisters load(String workload) {
        if (valid != 1 && valid != 2) {
            return null;
        }
        int base = valid * SLOT_SIZE;
        VcpuRegisters regs = new VcpuRegisters(0, workload, 0);
        regs.rng = b.getLong(base);
        regs.ops = b.getLong(base + 8);
        regs.writes = b.getLong(base + 16);
        for (int i = 0; i < VcpuRegisters.GENERAL; i++) {
            regs.r[i] = b.getLong(base + 24 + i * 8);
        }
        return regs;
    }

    @Override
    public void close() {
        mapping.close();
    }
}
