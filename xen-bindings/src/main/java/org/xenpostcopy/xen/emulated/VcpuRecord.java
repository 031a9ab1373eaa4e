package org.xenpostcopy.xen.emulated;

import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/** What a vCPU tells its domain's persistent record ({@link DomainPersistence}); nothing, on an ephemeral host. */
interface VcpuRecord {
    VcpuRecord NONE = new VcpuRecord() {
        @Override
        public void registersChanged(VcpuRegisters regs) {
        }

        @Override
        public void runStateChanged() {
        }
    };

    /** After every completed guest operation, on the vCPU thread, and when dom0 sets the context: must be cheap. */
    void registersChanged(VcpuRegisters regs);

    /** Paused, unpaused or crashed: called holding no vCPU lock. */
    void runStateChanged();
}
