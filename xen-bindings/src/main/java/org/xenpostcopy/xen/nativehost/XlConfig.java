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
    /** Settings whose value runs a program in dom0 when xl builds the domain. */
    private static final Set<String> RUNS_PROGRAMS = Set.of("bootloader", "device_model_override",
            "device_model_stubdomain_override");
    /** Settings that give the guest dom0's storage, devices or hardware. */
    private static final Set<String> DOM0_RESOURCES = Set.of("disk", "pci", "usbdev", "usbctrl", "vtpm", "p9",
            "channel", "dtdev", "iomem", "ioports", "irqs", "vdispl", "vsnd", "rdm");

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
                if (c == quote) {
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
        out.put(statement.substring(0, eq).trim(), statement.substring(eq + 1).trim());
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
            return OptionalLong.of(Long.parseLong(unquote(v)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * What in this configuration reaches into dom0, by the name an administrator allows it under: a setting of
     * {@link #RUNS_PROGRAMS} or {@link #DOM0_RESOURCES} by its key, and {@code script} for any device entry that
     * names a hotplug script of its own (xl runs it in dom0). A {@code vif} without one uses the host's own scripts.
     */
    public Set<String> reachesIntoDom0() {
        Set<String> found = new TreeSet<>();
        for (Map.Entry<String, String> s : settings.entrySet()) {
            String key = s.getKey();
            if (RUNS_PROGRAMS.contains(key) || DOM0_RESOURCES.contains(key)) {
                found.add(key);
            }
            if (s.getValue().matches("(?s).*[\\[\\s,'\"]script\\s*=.*")) {
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
