package org.xenpostcopy.xen.emulated;

import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/** What a domain's vCPUs tell its domain's persistent record ({@link DomainPersistence}); nothing, on an ephemeral host. */
interface VcpuRecord {
    VcpuRecord NONE = new VcpuRecord() {
        @Override
        public void commit(int vcpu, VcpuRegisters regs) {
        }

        @Override
        public void runStateChanged() {
        }
    };

    /**
     * A guest operation of {@code vcpu} (or a step of the balloon driver's work) is complete, or dom0 set its context:
     * its registers ({@code regs}; null: unchanged) and its memory changes stand. On that vCPU's thread, or with the
     * domain paused; must be cheap.
     */
    void commit(int vcpu, VcpuRegisters regs);

    /** Paused, unpaused or crashed: called holding no vCPU lock. */
    void runStateChanged();
}
