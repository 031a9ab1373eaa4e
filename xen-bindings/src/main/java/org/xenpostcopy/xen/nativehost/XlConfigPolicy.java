package org.xenpostcopy.xen.nativehost;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;

/**
 * Which xl configuration a destination builds an incoming domain from. Its own, by the domain's name, when it has
 * one: an administrator's file, trusted as {@code xl create} trusts it. Otherwise the configuration that came with
 * the migration, but only if it has nothing beyond the guest's own shape ({@link XlConfig#reachesIntoDom0}: a
 * bootloader or a hotplug script would run as root here, a kernel path or a disk would hand the guest this host's
 * files) that the administrator does not allow. Either way the configuration must name the domain the migration names, and give it room
 * for the memory the guest has.
 */
public final class XlConfigPolicy {
    /** LIBXL_MAXMEM_CONSTANT: libxl gives a domain 1 MiB above its configured maximum. */
    private static final long LIBXL_SLACK_MIB = 1;

    private final Set<String> allowed;

    /**
     * @param allowed what a configuration that came with a migration may use of {@link XlConfig#reachesIntoDom0}
     *                (e.g. {@code disk}, {@code script}); {@code all} allows everything
     */
    public XlConfigPolicy(Set<String> allowed) {
        this.allowed = Set.copyOf(allowed);
    }

    /** Allows nothing that reaches into dom0 from a configuration that came with a migration. */
    public static XlConfigPolicy strict() {
        return new XlConfigPolicy(Set.of());
    }

    /**
     * The configuration to build {@code name} from: {@code own} (this host's) if present, else {@code travelled}.
     *
     * @param pages the guest's memory as the source has it, in pages
     * @throws XenException EPERM if a travelled configuration reaches into dom0 beyond what is allowed, EINVAL if
     *                      none is usable or it names another domain or gives too little memory
     */
    public String choose(String name, long pages, Optional<String> own, Optional<String> travelled) {
        String text;
        String whose;
        if (own.isPresent()) {
            text = own.get();
            whose = "this host's " + name + ".cfg";
        } else if (travelled.isPresent()) {
            text = travelled.get();
            whose = "the configuration that came with the migration";
            Set<String> refused = new TreeSet<>(XlConfig.parse(text).reachesIntoDom0());
            if (allowed.contains("all")) {
                refused.clear();
            } else {
                refused.removeAll(allowed);
            }
            if (!refused.isEmpty()) {
                throw new XenException("xl create", Errno.EPERM, whose + " for '" + name + "' uses " + refused
                        + ", which may run a program in dom0 or give the guest this host's files or devices; put " + name
                        + ".cfg in this host's xl config directory, or allow them with --xl-allow "
                        + String.join(",", refused));
            }
        } else {
            throw new XenException("xl create", Errno.EINVAL, "no xl configuration for '" + name + "': this host has no "
                    + name + ".cfg in its xl config directory (xlpc daemon --xl-config-dir) and none came with the "
                    + "migration");
        }
        XlConfig config = XlConfig.parse(text);
        String named = config.name().orElseThrow(() -> new XenException("xl create", Errno.EINVAL, whose
                + " has no name = setting"));
        if (!named.equals(name)) {
            throw new XenException("xl create", Errno.EINVAL, whose + " names the domain '" + named + "', the migration '"
                    + name + "'");
        }
        OptionalLong mib = config.maxMemoryMiB();
        long neededMiB = (pages + 255) / 256;
        if (mib.isEmpty()) {
            throw new XenException("xl create", Errno.EINVAL, whose + " has no memory = (or maxmem =) setting we can"
                    + " read; the guest has " + neededMiB + " MiB");
        }
        if (mib.getAsLong() + LIBXL_SLACK_MIB < neededMiB) {
            throw new XenException("xl create", Errno.EINVAL, whose + " gives '" + name + "' " + mib.getAsLong()
                    + " MiB; the guest has " + neededMiB + " MiB");
        }
        return text;
    }
}
