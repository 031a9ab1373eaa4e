package org.xenpostcopy.xen;

import java.util.Arrays;
import java.util.Objects;

/**
 * One virtual CPU's saved context: opaque bytes a host produces and the same kind of host restores
 * ({@code xc_vcpu_getcontext} / the HVM context record on real Xen; the guest program's registers on the emulated host).
 */
public final class VcpuState {
    /**
     * The largest context the migration takes (a real HVM record is a few KiB): more is refused off the wire, so a
     * reader of its own files can refuse a longer length as damage before allocating it.
     */
    public static final int MAX_CONTEXT_BYTES = 1 << 20;

    private final int vcpu;
    private final byte[] context;

    public VcpuState(int vcpu, byte[] context) {
        if (vcpu < 0) {
            throw new IllegalArgumentException("negative vcpu id " + vcpu);
        }
        this.vcpu = vcpu;
        this.context = Objects.requireNonNull(context, "context").clone();
    }

    public int vcpu() {
        return vcpu;
    }

    public byte[] context() {
        return context.clone();
    }

    public int size() {
        return context.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VcpuState v && v.vcpu == vcpu && Arrays.equals(v.context, context);
    }

    @Override
    public int hashCode() {
        return 31 * vcpu + Arrays.hashCode(context);
    }

    @Override
    public String toString() {
        return "VcpuState[vcpu=" + vcpu + ", " + context.length + " bytes]";
    }
}
