package org.xenpostcopy.xen.emulated.guest;

import java.util.Locale;

/**
 * Parses workload specs: {@code idle}, {@code stress-read:<WSS>}, {@code stress-write:<WSS>}, {@code kernel-compile},
 * {@code netperf}, each optionally followed by {@code @<ops/s>} to change its pace ({@code @0} = as fast as the CPU
 * goes). Sizes take K, M or G suffixes (binary units).
 */
public final class WorkloadSpec {
    private WorkloadSpec() {
    }

    public static final String USAGE = "idle | stress-read:<size> | stress-write:<size> | kernel-compile | netperf, "
            + "optionally @<ops per second>, e.g. stress-write:256M or netperf@200000";

    /** Builds the workload for a guest of {@code pages} pages. */
    public static Workload parse(String spec, long pages) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        long rate = -1;
        int at = s.indexOf('@');
        if (at >= 0) {
            rate = parseCount(s.substring(at + 1), spec);
            s = s.substring(0, at);
        }
        GuestLayout layout = GuestLayout.forPages(pages);
        String name = s;
        String arg = null;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            name = s.substring(0, colon);
            arg = s.substring(colon + 1);
        }
        Workload w = switch (name) {
            case "idle" -> noArg(arg, spec, new IdleWorkload(spec));
            case "netperf" -> noArg(arg, spec, StressWorkload.netperf(spec, Math.min(64, layout.dataPages())));
            case "kernel-compile" -> noArg(arg, spec, new KernelCompileWorkload(spec, layout.dataPages()));
            case "stress-read", "stress-write" -> {
                if (arg == null) {
                    throw new IllegalArgumentException("workload '" + spec + "' needs a working-set size, e.g. " + name + ":256M");
                }
                long wss = parseSize(arg, spec) / 4096;
                if (wss < 1 || wss > layout.dataPages()) {
                    throw new IllegalArgumentException("working set of workload '" + spec + "' is " + wss
                            + " pages; this guest has room for 1.." + layout.dataPages());
                }
                yield StressWorkload.stress(spec, wss, name.equals("stress-write"));
            }
            default -> throw new IllegalArgumentException("unknown workload '" + spec + "'; expected " + USAGE);
        };
        return rate < 0 ? w : new PacedWorkload(w, rate);
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
