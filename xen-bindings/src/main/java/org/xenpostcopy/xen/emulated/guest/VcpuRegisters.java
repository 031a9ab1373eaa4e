package org.xenpostcopy.xen.emulated.guest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * An emulated vCPU's registers: the guest program's whole CPU state, saved and restored as a vCPU context.
 * The workload keeps its cursors in {@link #r}; {@link #ops} and {@link #writes} count its completed operations
 * and page writes (the oracle checks the latter against the superblock).
 */
public final class VcpuRegisters {
    private static final int MAGIC = 0x56435055; // "VCPU"
    public static final int GENERAL = 8;

    public final int vcpu;
    public final String workload;
    public long rng;
    public long ops;
    public long writes;
    public final long[] r = new long[GENERAL];

    public VcpuRegisters(int vcpu, String workload, long seed) {
        this.vcpu = vcpu;
        this.workload = workload;
        this.rng = seed ^ (0x632BE59BD9B4E019L * (vcpu + 1));
    }

    /** SplitMix64: the guest's deterministic random numbers; its state is a register. */
    public long nextLong() {
        rng += 0x9E3779B97F4A7C15L;
        return PagePattern.mix(rng);
    }

    /** Uniform in {@code [0, bound)}. */
    public long nextBelow(long bound) {
        return Math.floorMod(nextLong(), bound);
    }

    public byte[] save() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(vcpu);
            out.writeUTF(workload);
            out.writeLong(rng);
            out.writeLong(ops);
            out.writeLong(writes);
            for (long v : r) {
                out.writeLong(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Restores registers from a saved context; refuses contexts of another vCPU or another guest program. */
    public static VcpuRegisters load(byte[] context) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(context))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not an emulated vCPU context (bad magic)");
            }
            int vcpu = in.readInt();
            String workload = in.readUTF();
            VcpuRegisters regs = new VcpuRegisters(vcpu, workload, 0);
            regs.rng = in.readLong();
            regs.ops = in.readLong();
            regs.writes = in.readLong();
            for (int i = 0; i < GENERAL; i++) {
                regs.r[i] = in.readLong();
            }
            return regs;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated emulated vCPU context (" + context.length + " bytes)", e);
        }
    }
}
