package org.xenpostcopy.xen.emulated;

import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/** What a vCPU tells its domain's persistent record ({@link DomainPersistence}); nothing, on an ephemeral host. */
interface VcpuRecord {
    VcpuRecord NONE = new VcpuRecord() {
        @Override
        public void commit(VcpuRegisters regs) {
        }

        @Override
        public void runStateChanged() {
        }
    };

    /**
     * A guest operation (or a step of the balloon driver's work) is complete, or dom0 set the context: its registers
     * ({@code regs}; null: unchanged) and its memory changes stand. On the vCPU thread, or with the vCPU paused; must be cheap.
     */
    void commit(VcpuRegisters regs);

    /** Paused, unpaused or crashed: called holding no vCPU lock. */
    void runStateChanged();
}
