package org.xenpostcopy.xen.nativehost;

import java.util.Optional;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.ExitFence;

/**
 * What only the host's toolstack can do for a domain: build it with its devices, special pages and xenstore
 * introduction from an xl configuration, and tear all of that down again. {@link XlToolstack} runs {@code xl}.
 */
public interface Toolstack {
    /** Creates the domain described by {@code xlConfig}, paused; returns its id. */
    DomainId createPaused(String name, String xlConfig);

    /** Destroys the domain with its backends and xenstore entries. */
    void destroy(DomainId domain);

    /** A helper process that pauses {@code domain} if this process dies before the fence is closed. */
    ExitFence pauseIfThisProcessDies(DomainId domain);

    /** The xl configuration of the named domain, if this host knows it. */
    Optional<String> configOf(String name);

    /**
     * The configuration to build incoming domain {@code name} ({@code pages} of memory) from: this host's own, or
     * the one that came with the migration ({@code travelled}) if this host's policy accepts it.
     *
     * @throws org.xenpostcopy.xen.XenException if neither is usable (see {@link XlConfigPolicy#choose})
     */
    String configForIncoming(String name, long pages, Optional<String> travelled);
}
