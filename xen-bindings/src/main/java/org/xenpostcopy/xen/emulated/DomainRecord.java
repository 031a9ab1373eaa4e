package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;

/**
 * What a persistent host writes of a domain besides its memory, p2m and registers: the file
 * {@code domain.properties}. Java properties, one key a line, so an administrator can read it:
 * <pre>
 *   format = 1
 *   domid = 3                 name = vm              memory-pages = 65536     vcpus = 1
 *   guest = stress-write:32M  seed = 42              max-pages = 65536
 *   paused = true             # dom0 had it paused (a detach's own pause not counted)
 *   crash = ...               # why the guest crashed, if it did
 *   xs.name = vm              # every node under /local/domain/&lt;domid&gt;, path relative to it
 * </pre>
 *
 * @param xenstore the domain's xenstore subtree: path relative to its home (no leading slash) → value
 */
record DomainRecord(DomainId id, DomainConfig config, long maxPages, boolean paused, String crash,
                    Map<String, String> xenstore) {
    static final int FORMAT = 1;
    private static final String XS = "xs.";

    DomainRecord {
        xenstore = Map.copyOf(xenstore);
    }

    String toText() {
        StringBuilder out = new StringBuilder("# xlpc emulated domain: rewritten whole on every change\n");
        line(out, "format", Integer.toString(FORMAT));
        line(out, "domid", Integer.toString(id.value()));
        line(out, "name", config.name());
        line(out, "memory-pages", Long.toString(config.memoryPages()));
        line(out, "vcpus", Integer.toString(config.vcpus()));
        line(out, "guest", config.guest());
        line(out, "seed", Long.toString(config.seed()));
        line(out, "max-pages", Long.toString(maxPages));
        line(out, "paused", Boolean.toString(paused));
        if (crash != null) {
            line(out, "crash", crash);
        }
        new TreeMap<>(xenstore).forEach((k, v) -> line(out, XS + k, v));
        return out.toString();
    }

    /** Escapes as {@link Properties#store} would, without its date comment: equal records give equal files. */
    private static void line(StringBuilder out, String key, String value) {
        out.append(escape(key, true)).append(" = ").append(escape(value, false)).append('\n');
    }

    private static String escape(String s, boolean key) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '=', ':', '#', '!' -> b.append('\\').append(c);
                case ' ' -> b.append(key || i == 0 ? "\\ " : " ");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    static DomainRecord parse(String text, String where) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
        String format = p.getProperty("format");
        if (!Integer.toString(FORMAT).equals(format)) {
            throw new IllegalStateException(where + ": format " + format + ", this xlpc reads format " + FORMAT);
        }
        try {
            DomainConfig config = new DomainConfig(required(p, "name", where), Long.parseLong(required(p, "memory-pages", where)),
                    Integer.parseInt(required(p, "vcpus", where)), required(p, "guest", where),
                    Long.parseLong(required(p, "seed", where)));
            Map<String, String> xs = new TreeMap<>();
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith(XS)) {
                    xs.put(k.substring(XS.length()), p.getProperty(k));
                }
            }
            return new DomainRecord(DomainId.of(Integer.parseInt(required(p, "domid", where))), config,
                    Long.parseLong(required(p, "max-pages", where)), Boolean.parseBoolean(required(p, "paused", where)),
                    p.getProperty("crash"), xs);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
    }

    private static String required(Properties p, String key, String where) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalStateException(where + ": no '" + key + "'");
        }
        return v;
    }
}
