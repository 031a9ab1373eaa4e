package org.xenpostcopy.migration.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/** Packing and checking of the protocol's bulk fields. Everything that arrives is checked before use. */
public final class Wire {
    private static final int MAX_VCPU_CONTEXT = VcpuState.MAX_CONTEXT_BYTES;

    /** vCPU contexts off the wire, each at most 1 MiB. */
    static List<VcpuState> vcpus(List<TVcpuState> wire) throws TMigrationError {
        List<VcpuState> vcpus = new ArrayList<>();
        for (TVcpuState v : wire == null ? List.<TVcpuState>of() : wire) {
            ByteBuffer b = v.bufferForContext();
            if (b == null || b.remaining() > MAX_VCPU_CONTEXT) {
                throw Wire.badRequest("vCPU " + v.getVcpu() + " context is missing or larger than 1 MiB");
            }
            byte[] ctx = new byte[b.remaining()];
            b.duplicate().get(ctx);
            try {
                vcpus.add(new VcpuState(v.getVcpu(), ctx));
            } catch (IllegalArgumentException e) {
                throw Wire.badRequest(e.getMessage());
            }
        }
        return vcpus;
    }

    /** vCPU contexts for the wire. */
    static List<TVcpuState> vcpusToWire(List<VcpuState> vcpus) {
        List<TVcpuState> out = new ArrayList<>();
        for (VcpuState v : vcpus) {
            out.add(new TVcpuState(v.vcpu(), ByteBuffer.wrap(v.context())));
        }
        return out;
    }

    private Wire() {
    }

    public static final int PAGE_SIZE = 4096;

    /** {@code n} gfns as little-endian u64s. */
    public static ByteBuffer packGfns(long[] gfns, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putLong(i * 8, gfns[i]);
        }
        return b;
    }

    /**
     * Unpacks and checks a gfn list: whole u64s, at most {@code maxCount}, each below {@code gfnCount}.
     *
     * @throws TMigrationError BAD_REQUEST, naming what is wrong
     */
    public static long[] unpackGfns(ByteBuffer packed, int maxCount, long gfnCount) throws TMigrationError {
        if (packed == null) {
            throw badRequest("gfn list is missing");
        }
        int len = packed.remaining();
        if (len % 8 != 0) {
            throw badRequest("gfn list of " + len + " bytes is not a whole number of u64s");
        }
        int n = len / 8;
        if (n > maxCount) {
            throw badRequest("gfn list of " + n + " entries exceeds the limit of " + maxCount);
        }
        ByteBuffer b = packed.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long g = b.getLong(base + i * 8);
            if (g < 0 || g >= gfnCount) {
                throw badRequest(String.format("gfn 0x%x is outside the domain's 0..0x%x", g, gfnCount - 1));
            }
            out[i] = g;
        }
        return out;
    }

    /** Checks a page payload holds exactly {@code count} pages. */
    public static void checkPages(ByteBuffer pages, int count) throws TMigrationError {
        if (pages == null) {
            throw badRequest("page payload is missing");
        }
        if (pages.remaining() != (long) count * PAGE_SIZE) {
            throw badRequest("page payload of " + pages.remaining() + " bytes does not hold " + count + " pages of 4096");
        }
    }

    public static ByteBuffer packBitmap(GfnBitmap bitmap) {
        long[] words = bitmap.toWords();
        ByteBuffer b = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < words.length; i++) {
            b.putLong(i * 8, words[i]);
        }
        return b;
    }

    public static GfnBitmap unpackBitmap(ByteBuffer packed, long size) throws TMigrationError {
        int words = (int) ((size + 63) >>> 6);
        if (packed == null || packed.remaining() != words * 8) {
            throw badRequest("bitmap of " + (packed == null ? 0 : packed.remaining()) + " bytes; " + size
                    + " gfns need " + words * 8);
        }
        ByteBuffer b = packed.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long[] w = new long[words];
        for (int i = 0; i < words; i++) {
            w[i] = b.getLong(b.position() + i * 8);
        }
        try {
            return GfnBitmap.fromWords(size, w);
        } catch (IllegalArgumentException e) {
            throw badRequest(e.getMessage());
        }
    }

    public static TMigrationError badRequest(String message) {
        return new TMigrationError(TErrorCode.BAD_REQUEST, message);
    }

    public static TMigrationError error(TErrorCode code, String message) {
        return new TMigrationError(code, message);
    }
}
