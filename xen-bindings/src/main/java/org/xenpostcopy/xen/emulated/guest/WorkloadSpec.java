package org.xenpostcopy.xen.emulated.guest;

import java.util.Locale;

/**
 * Parses workload specs: {@code idle}, {@code stress-read:<WSS>}, {@code stress-write:<WSS>}, {@code kernel-compile},
 * {@code netperf}, each optionally followed by {@code @<ops/s>} to change its pace ({@code @0} = as fast as the CPU
 * goes). Sizes take K, M or G suffixes (binary units).
 *
 * <p>A guest of several vCPUs runs the program on each, in each vCPU's slice of the address space
 * ({@link GuestLayout#vpnSlice}), the work shared out: a working set of 256M on 2 vCPUs is 128M swept by each, as
 * {@code stress --vm 2} sweeps two halves; a kernel build is a {@code make -j} whose jobs each have their own
 * sources, objects and temporaries; the network benchmark's buffers are split among them.
 */
public final class WorkloadSpec {
    private WorkloadSpec() {
    }

    public static final String USAGE = "idle | stress-read:<size> | stress-write:<size> | kernel-compile | netperf, "
            + "optionally @<ops per second>, e.g. stress-write:256M or netperf@200000";

    /** Builds the workload for a guest of {@code pages} pages and one vCPU. */
    public static Workload parse(String spec, long pages) {
        return parse(spec, pages, 1, 0);
    }

    /** Builds the share of vCPU {@code vcpu} of the workload, for a guest of {@code pages} pages and {@code vcpus} vCPUs. */
    public static Workload parse(String spec, long pages, int vcpus, int vcpu) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        long rate = -1;
        int at = s.indexOf('@');
        if (at >= 0) {
            rate = parseCount(s.substring(at + 1), spec);
            s = s.substring(0, at);
        }
        GuestLayout layout = GuestLayout.forPages(pages);
        long slice = layout.vpnSlice(vcpus);
        String name = s;
        String arg = null;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            name = s.substring(0, colon);
            arg = s.substring(colon + 1);
        }
        Workload w = switch (name) {
            case "idle" -> {
                if (slice < IdleWorkload.PAGES) {
                    throw new IllegalArgumentException("workload 'idle' needs " + IdleWorkload.PAGES + " pages per vCPU;"
                            + " this guest has room for " + slice);
                }
                yield noArg(arg, spec, new IdleWorkload(spec));
            }
            case "netperf" -> noArg(arg, spec, StressWorkload.netperf(spec, Math.max(1, share(Math.min(64, slice), vcpus, vcpu))));
            case "kernel-compile" -> noArg(arg, spec, new KernelCompileWorkload(spec, slice));
            case "stress-read", "stress-write" -> {
                if (arg == null) {
                    throw new IllegalArgumentException("workload '" + spec + "' needs a working-set size, e.g. " + name + ":256M");
                }
                long total = parseSize(arg, spec) / 4096;
                long wss = share(total, vcpus, vcpu);
                if (total < vcpus || wss > slice) {
                    throw new IllegalArgumentException("working set of workload '" + spec + "' is " + total
                            + " pages; this guest has room for " + vcpus + ".." + slice * vcpus
                            + (vcpus > 1 ? " (at least a page per vCPU)" : ""));
                }
                yield StressWorkload.stress(spec, wss, name.equals("stress-write"));
            }
            default -> throw new IllegalArgumentException("unknown workload '" + spec + "'; expected " + USAGE);
        };
        return rate < 0 ? w : new PacedWorkload(w, rate);
    }

    /** The part of {@code total} that falls to {@code vcpu} of {@code vcpus}: equal shares, the first ones a page more. */
    private static long share(long total, int vcpus, int vcpu) {
        return total / vcpus + (vcpu < total % vcpus ? 1 : 0);
    }

    private static Workload noArg(String arg, String spec, Workload w) {
        if (arg != null) {
            throw new IllegalArgumentException("workload '" + spec + "' takes no argument");
        }
        return w;
    }

    /** A size such as {@code 256M}, {@code 1G}, {@code 4096} (bytes). */
    public static long parseSize(String text, String context) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.endsWith("K")) {
            mult = 1L << 10;
        } else if (t.endsWith("M")) {
            mult = 1L << 20;
        } else if (t.endsWith("G")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(v, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("bad size '" + text + "' in '" + context + "' (expected e.g. 256M)");
        }
    }

    private static long parseCount(String text, String context) {
        try {
            long v = Long.parseLong(text.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad pace '@" + text + "' in '" + context + "' (expected operations per second)");
        }
    }
}
