package org.xenpostcopy.xen.nativehost;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * An xl domain configuration as {@code xl.cfg(5)} writes it — {@code key = value} settings, values numbers,
 * quoted strings or bracketed lists (which may span lines), {@code #} comments — read far enough to judge it:
 * its name, its memory, and what in it would make dom0 run a program or hand the guest a dom0 resource.
 */
public final class XlConfig {
    /**
     * Settings a configuration from elsewhere may carry: the guest's own shape and behaviour, nothing that names a
     * file, a device or a program of this host. Anything else reaches into dom0 as far as we can tell: a bootloader,
     * a device model and its arguments, a kernel or firmware path (read from dom0 into the guest), disks, PCI, USB,
     * serial lines... A list is kept rather than a list of the dangerous ones, so a setting we do not know is refused.
     */
    private static final Set<String> GUEST_ONLY = Set.of("name", "type", "builder", "memory", "maxmem", "vcpus",
            "maxvcpus", "cpus", "cpus_soft", "cpu_weight", "cap", "on_poweroff", "on_reboot", "on_crash",
            "on_watchdog", "on_soft_reset", "uuid", "extra", "cmdline", "root", "tsc_mode", "localtime",
            "rtc_timeoffset", "viridian", "hap", "nestedhvm", "apic", "acpi", "pae", "hpet", "timer_mode",
            "max_grant_frames", "max_maptrack_frames", "boot", "vif");

    private final Map<String, String> settings;

    private XlConfig(Map<String, String> settings) {
        this.settings = settings;
    }

    /** Reads the settings; a later setting of a key replaces an earlier one, as in xl. */
    public static XlConfig parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        StringBuilder statement = new StringBuilder();
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                statement.append(c);
                if (c == '\\' && i + 1 < text.length()) {
                    statement.append(text.charAt(++i));   // xl's escapes: an escaped quote does not end the string
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '#') {
                while (i + 1 < text.length() && text.charAt(i + 1) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth = Math.max(0, depth - 1);
            }
            if (depth == 0 && (c == '\n' || c == ';')) {
                add(out, statement.toString());
                statement.setLength(0);
            } else {
                statement.append(c);
            }
        }
        add(out, statement.toString());
        return new XlConfig(out);
    }

    private static void add(Map<String, String> out, String statement) {
        int eq = statement.indexOf('=');
        if (eq <= 0) {
            return;   // blank, or nothing xl would take as a setting
        }
        String key = statement.substring(0, eq).trim();
        String value = statement.substring(eq + 1).trim();
        if (key.endsWith("+")) {
            key = key.substring(0, key.length() - 1).trim();   // xl's "disk += [...]" appends to disk
            out.merge(key, value, (was, more) -> was + " " + more);
        } else {
            out.put(key, value);
        }
    }

    /** The raw value of {@code key} (quotes and brackets kept), if set. */
    public Optional<String> raw(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    /** The domain's name, unquoted. */
    public Optional<String> name() {
        return raw("name").map(XlConfig::unquote);
    }

    /** The larger of {@code memory} and {@code maxmem}, in MiB: what the domain may hold. */
    public OptionalLong maxMemoryMiB() {
        OptionalLong memory = number("memory");
        OptionalLong maxmem = number("maxmem");
        if (memory.isEmpty()) {
            return maxmem;
        }
        return maxmem.isEmpty() ? memory : OptionalLong.of(Math.max(memory.getAsLong(), maxmem.getAsLong()));
    }

    private OptionalLong number(String key) {
        String v = settings.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.decode(unquote(v)));   // as xl's strtol(.., 0): 0x80, 0200, 128
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * What in this configuration reaches into dom0, by the name an administrator allows it under: every setting
     * not in {@link #GUEST_ONLY} by its key (a {@code +=} append counts as its key), {@code script} for a network
     * interface that names a hotplug script of its own (xl runs it in dom0; a {@code vif} without one uses the
     * host's own scripts), and {@code escapes} for any backslash in a value, since xl decodes escapes (such as
     * {@code \x73cript}) that a text check cannot see through.
     */
    public Set<String> reachesIntoDom0() {
        Set<String> found = new TreeSet<>();
        for (Map.Entry<String, String> s : settings.entrySet()) {
            String key = s.getKey();
            if (!GUEST_ONLY.contains(key)) {
                found.add(key);
            }
            String value = s.getValue();
            if (value.indexOf('\\') >= 0) {
                found.add("escapes");
            }
            if (value.toLowerCase(java.util.Locale.ROOT).matches("(?s).*[\\[\\s,'\"]script\\s*=.*")) {
                found.add("script");
            }
        }
        return found;
    }

    private static String unquote(String v) {
        String t = v.trim();
        if (t.length() >= 2 && (t.charAt(0) == '"' || t.charAt(0) == '\'') && t.charAt(t.length() - 1) == t.charAt(0)) {
            return t.substring(1, t.length() - 1);
        }
        return t;
    }
}
