package org.xenpostcopy.xen.nativehost;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a real Xen host hands over as a domain's vCPU state: the domain's TSC settings and its whole HVM context
 * record, the two things Xen's own migration stream sends at the end of a checkpoint (X86_TSC_INFO, then
 * HVM_CONTEXT) and restores in that order. The TSC settings matter because the destination's domain was created
 * with its own host's TSC frequency: without them an emulated-TSC guest would see its TSC change speed.
 *
 * <p>Layout, little-endian: magic "XPTS", version, tsc_mode, gtsc_khz, incarnation (u32 each), elapsed_nsec
 * (u64), HVM context length (u32), the HVM context.
 */
record HvmVcpuRecord(TscInfo tsc, byte[] hvmContext) {
    /** {@code xc_domain_get_tsc_info}'s four values, as Xen reports and accepts them. */
    record TscInfo(int mode, long elapsedNsec, int gtscKhz, int incarnation) {
    }

    private static final int MAGIC = 0x53545058;   // "XPTS" read as a little-endian u32
    private static final int VERSION = 1;
    private static final int HEADER = 4 * 5 + 8 + 4;

    HvmVcpuRecord {
        Objects.requireNonNull(tsc, "tsc");
        hvmContext = Objects.requireNonNull(hvmContext, "hvmContext").clone();
    }

    @Override
    public byte[] hvmContext() {
        return hvmContext.clone();
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + hvmContext.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(tsc.mode()).putInt(tsc.gtscKhz()).putInt(tsc.incarnation())
                .putLong(tsc.elapsedNsec()).putInt(hvmContext.length).put(hvmContext);
        return b.array();
    }

    /** Refuses anything but a whole record of this version: a half-restored vCPU is worse than none. */
    static HvmVcpuRecord decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int magic = b.getInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException(String.format(
                        "not a Xen HVM vCPU record (magic %#010x): was it saved by a real Xen host?", magic));
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("HVM vCPU record version " + version + ", this host reads "
                        + VERSION);
            }
            int mode = b.getInt();
            int khz = b.getInt();
            int incarnation = b.getInt();
            long nsec = b.getLong();
            int length = b.getInt();
            if (length < 0 || length != b.remaining()) {
                throw new IllegalArgumentException("HVM vCPU record says its context has "
                        + Integer.toUnsignedString(length) + " bytes, " + b.remaining() + " follow");
            }
            byte[] ctx = new byte[length];
            b.get(ctx);
            return new HvmVcpuRecord(new TscInfo(mode, nsec, khz, incarnation), ctx);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("HVM vCPU record cut short: " + bytes.length
                    + " bytes, the header alone has " + HEADER);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HvmVcpuRecord r && r.tsc.equals(tsc) && Arrays.equals(r.hvmContext, hvmContext);
    }

    @Override
    public int hashCode() {
        return 31 * tsc.hashCode() + Arrays.hashCode(hvmContext);
    }

    @Override
    public String toString() {
        return "HvmVcpuRecord[" + tsc + ", " + hvmContext.length + " bytes of HVM context]";
    }
}
