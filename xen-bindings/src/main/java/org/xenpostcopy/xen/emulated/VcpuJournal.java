package org.xenpostcopy.xen.emulated;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/**
 * Makes each guest operation atomic against the death of the process, for a persistent domain: a vCPU's
 * registers and an undo log of its operation in flight, in a shared mapping of the domain's {@code vcpu<N>} file.
 * The guest kernel's locking ({@code GuestKernel}) keeps the gfns in flight in one vCPU's log out of every other's,
 * so the logs of a domain's vCPUs roll back in any order.
 *
 * <p>Before the vCPU first changes a gfn in an operation (its bytes or its p2m type), the gfn's old type and bytes
 * go into an undo slot. When the operation completes, {@link #commit} stores the registers in the register slot not
 * in use and then, with one aligned 8-byte write of the header, names that slot and empties the undo log. A process
 * killed anywhere leaves either the operation whole (header written) or an undo log that {@link #rollBack} applies,
 * giving memory, p2m and registers as they were before the operation: Xen stops a vCPU at an instruction boundary,
 * the emulated host at an operation boundary, even when the process dies.
 *
 * <pre>
 *   0      magic            8      header: register slot (bits 0-7: 0 none, 1 or 2), undo entries (bits 8-31)
 *   256    register slot 1  512    register slot 2   (rng, ops, writes, r[0..7])
 *   4096   undo entries: gfn (8 bytes), type (1 byte), 16 bytes each
 *   8192   undo pages, 4 KiB each
 * </pre>
 * One writer: the vCPU thread, or dom0 while the vCPU is paused.
 */
final class VcpuJournal {
    static final int CAPACITY = 32;      // an operation changes at most 4 gfns (superblock, frame/page table, data)
    static final int SIZE = 8192 + CAPACITY * Gfn.PAGE_SIZE;
    private static final long MAGIC = 0x31524745525043L;   // "CPREGR1"
    private static final int HEADER = 8;
    private static final int SLOT_SIZE = 256;
    private static final int ENTRIES = 4096;
    private static final int PAGES = 8192;

    private final ByteBuffer b;
    private int slot;
    private int pending;
    /** The gfns logged in the operation in flight (the first {@link #pending}). */
    private final long[] logged = new long[CAPACITY];

    /** Over a mapping of {@link #SIZE} bytes: a new file (all zero) or one a previous process left. */
    VcpuJournal(OffHeapMemory mapping) {
        this.b = mapping.buffer();
        long magic = b.getLong(0);
        if (magic == 0) {
            b.putLong(0, MAGIC);
        } else if (magic != MAGIC) {
            throw new IllegalStateException("vCPU file has no journal magic");
        }
        long h = b.getLong(HEADER);
        slot = (int) (h & 0xff);
        pending = (int) ((h >>> 8) & 0xffffff);
        if (pending > CAPACITY) {
            throw new IllegalStateException("vCPU journal claims " + pending + " undo entries");
        }
        for (int i = 0; i < pending; i++) {
            logged[i] = b.getLong(ENTRIES + i * 16);
        }
    }

    /**
     * The vCPU is about to change {@code gfn}, now of p2m type {@code type}: log its old state once per operation.
     * Call holding the gfn's p2m lock.
     */
    void beforeWrite(long gfn, byte type, GuestPhysicalMemory memory) {
        for (int i = 0; i < pending; i++) {
            if (logged[i] == gfn) {
                return;
            }
        }
        if (pending == CAPACITY) {
            throw new IllegalStateException("a guest operation changed more than " + CAPACITY + " gfns");
        }
        int i = pending;
        b.putLong(ENTRIES + i * 16, gfn);
        b.put(ENTRIES + i * 16 + 8, type);
        if (holdsBytes(type)) {
            b.put(PAGES + i * Gfn.PAGE_SIZE, memory.chunk(gfn), memory.offset(gfn), Gfn.PAGE_SIZE);
        }
        logged[i] = gfn;
        pending = i + 1;
        VarHandle.releaseFence();   // the entry is whole before the header counts it
        b.putLong(HEADER, header(slot, pending));
    }

    /** The operation is complete: its registers ({@code regs}; null: unchanged) and its changes stand. */
    void commit(VcpuRegisters regs) {
        if (regs == null && pending == 0) {
            return;
        }
        int next = slot;
        if (regs != null) {
            next = slot == 1 ? 2 : 1;
            int base = next * SLOT_SIZE;
            b.putLong(base, regs.rng);
            b.putLong(base + 8, regs.ops);
            b.putLong(base + 16, regs.writes);
            for (int i = 0; i < VcpuRegisters.GENERAL; i++) {
                b.putLong(base + 24 + i * 8, regs.r[i]);
            }
            VarHandle.releaseFence();   // the slot is whole before the header names it
        }
        b.putLong(HEADER, header(next, 0));
        slot = next;
        pending = 0;
    }

    /** Undo entries of an operation a previous process did not finish. */
    int pending() {
        return pending;
    }

    /** Puts back every gfn the unfinished operation changed, last first; then the log is empty. Before the vCPU runs. */
    void rollBack(P2mTable p2m, GuestPhysicalMemory memory) {
        for (int i = pending - 1; i >= 0; i--) {
            long gfn = b.getLong(ENTRIES + i * 16);
            byte type = b.get(ENTRIES + i * 16 + 8);
            synchronized (p2m.lock(gfn)) {
                if (holdsBytes(type)) {
                    memory.chunk(gfn).put(memory.offset(gfn), b, PAGES + i * Gfn.PAGE_SIZE, Gfn.PAGE_SIZE);
                }
                p2m.set(gfn, type == P2mTable.PAGING_OUT ? P2mTable.RAM_RW : type == P2mTable.PAGING_IN ? P2mTable.PAGED : type);
            }
        }
        b.putLong(HEADER, header(slot, 0));
        pending = 0;
    }

    /** The registers last committed, for vCPU {@code vcpu} of guest program {@code workload}; null if none ever were. */
    VcpuRegisters registers(int vcpu, String workload) {
        if (slot != 1 && slot != 2) {
            return null;
        }
        int base = slot * SLOT_SIZE;
        VcpuRegisters regs = new VcpuRegisters(vcpu, workload, 0);
        regs.rng = b.getLong(base);
        regs.ops = b.getLong(base + 8);
        regs.writes = b.getLong(base + 16);
        for (int i = 0; i < VcpuRegisters.GENERAL; i++) {
            regs.r[i] = b.getLong(base + 24 + i * 8);
        }
        return regs;
    }

    private static boolean holdsBytes(byte type) {
        return type == P2mTable.RAM_RW || type == P2mTable.PAGING_OUT;
    }

    private static long header(int slot, int pending) {
        return slot | ((long) pending << 8);
    }
}
