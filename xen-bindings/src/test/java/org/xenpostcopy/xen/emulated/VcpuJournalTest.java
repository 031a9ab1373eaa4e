package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.offheap.MappedFile;

/**
 * The undo log that makes a guest operation atomic against the process's death: what a killed process leaves in
 * the files (mappings dropped without any cleanup) is rolled back to the last committed operation.
 */
class VcpuJournalTest {
    private static final int PAGES = 64;
    private static final DomainId DOM = DomainId.of(1);

    @TempDir
    Path dir;

    /** The files of one "process": memory, p2m and journal mapped from {@link #dir}. */
    private final class Process {
        final GuestPhysicalMemory memory;
        final P2mTable p2m;
        final VcpuJournal journal;

        Process(boolean fresh) {
            memory = new GuestPhysicalMemory(PAGES, new MappedFile(dir.resolve("memory")), !fresh);
            ByteBuffer p2mFile = new MappedFile(dir.resolve("p2m")).allocate(PAGES).buffer();
            p2m = fresh ? new P2mTable(DOM, PAGES, P2mTable.RAM_RW, p2mFile) : P2mTable.restore(DOM, PAGES, p2mFile);
            journal = new VcpuJournal(new MappedFile(dir.resolve("vcpu0")).allocate(VcpuJournal.SIZE));
        }

        byte[] page(long gfn) {
            byte[] b = new byte[Gfn.PAGE_SIZE];
            memory.chunk(gfn).get(memory.offset(gfn), b);
            return b;
        }
    }

    private static VcpuRegisters regs(long ops) {
        VcpuRegisters r = new VcpuRegisters(0, "idle", 3);
        r.ops = ops;
        r.writes = ops * 2;
        r.r[7] = ops + 1;
        return r;
    }

    @Test
    void anOperationCutShortIsUndoneAndTheLastCommittedOneStands() {
        Process before = new Process(true);
        assertNull(before.journal.registers(0, "idle"), "no registers before the first commit");
        before.memory.fill(5, 0x1111);
        before.memory.fill(6, 0x2222);
        before.journal.commit(regs(10));
        byte[] page6 = before.page(6);

        // operation 11: rewrites gfn 5 twice (logged once), gives gfn 6 back, populates gfn 7 ... and dies
        before.journal.beforeWrite(5, P2mTable.RAM_RW, before.memory);
        before.memory.fill(5, 0x5555);
        before.journal.beforeWrite(5, P2mTable.RAM_RW, before.memory);
        before.memory.fill(5, 0x5556);
        before.journal.beforeWrite(6, P2mTable.RAM_RW, before.memory);
        before.memory.scrub(6);
        before.p2m.set(6, P2mTable.INVALID);
        before.p2m.set(7, P2mTable.INVALID);
        before.journal.commit(regs(11));      // (a completed operation in between)
        before.journal.beforeWrite(7, P2mTable.INVALID, before.memory);
        before.p2m.set(7, P2mTable.RAM_RW);

        Process after = new Process(false);
        assertEquals(1, after.journal.pending(), "only the operation in flight is undone");
        after.journal.rollBack(after.p2m, after.memory);
        assertEquals(P2mTable.INVALID, after.p2m.get(7));
        assertEquals(P2mTable.INVALID, after.p2m.get(6), "a committed operation stands");
        assertEquals(11, after.journal.registers(0, "idle").ops);
        assertEquals(0, after.journal.pending());

        // an uncommitted operation over committed data: its bytes and types come back exactly
        after.p2m.set(6, P2mTable.RAM_RW);
        after.memory.fill(6, 0x2222);
        after.journal.commit(regs(12));
        after.journal.beforeWrite(5, P2mTable.RAM_RW, after.memory);
        after.memory.fill(5, 0x7777);
        after.journal.beforeWrite(6, P2mTable.RAM_RW, after.memory);
        after.memory.scrub(6);
        after.p2m.set(6, P2mTable.INVALID);
        byte[] committed5 = new Process(false).page(5);

        Process again = new Process(false);
        assertEquals(2, again.journal.pending());
        again.journal.rollBack(again.p2m, again.memory);
        assertEquals(P2mTable.RAM_RW, again.p2m.get(6));
        assertArrayEquals(page6, again.page(6));
        assertEquals(12, again.journal.registers(0, "idle").ops);
        assertEquals(13, again.journal.registers(0, "idle").r[7]);
        assertEquals(0x5556L, ByteBuffer.wrap(again.page(5)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0),
                "gfn 5 is back to what operation 11 committed");
        assertEquals(0x7777L, ByteBuffer.wrap(committed5).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0));
    }
}
