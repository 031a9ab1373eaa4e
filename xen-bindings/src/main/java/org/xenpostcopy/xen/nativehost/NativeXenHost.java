package org.xenpostcopy.xen.nativehost;

import java.nio.file.Files;
import java.nio.file.Path;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.xswire.XsWireClient;

/**
 * A real Xen 4.17 host, from dom0, through libxenctrl, libxenevtchn and libxenforeignmemory, with xenstore over
 * xenstored's socket ({@link XsWireClient}). What only the toolstack can do — creating a domain with its devices,
 * special pages and xenstore introduction — is not here yet (the real-Xen lab issue); those calls say so.
 *
 * <p>This class opens and closes the library handles; each host interface is its own class over them
 * ({@link NativeDomainControl}, {@link NativeGuestMemory}, {@link NativePagingChannel}, {@link NativeDirtyLog}).
 */
public final class NativeXenHost implements XenHost {
    static final Path PRIVCMD = Path.of("/dev/xen/privcmd");

    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final LibXenForeignMemory fm;
    private final Handles.ForeignMemory fmem;
    private final XenStore store;
    private final DomainControl domains;
    private final GuestMemory memory;
    private final PagingChannel paging;
    private final DirtyLog dirty;

    /**
     * Opens this dom0's hypervisor interfaces. On a machine without Xen: one sentence, no stack trace
     * ({@code no Xen hypervisor: /dev/xen/privcmd is missing}).
     */
    public static NativeXenHost open() {
        return open(new XlToolstack(Path.of("/etc/xen"), "xl"));
    }

    /** As {@link #open()}, with the toolstack that builds and tears down domains. */
    public static NativeXenHost open(Toolstack toolstack) {
        if (!Files.exists(PRIVCMD)) {
            throw new XenException("xc_interface_open", Errno.ENOENT, "no Xen hypervisor: " + PRIVCMD + " is missing");
        }
        LibXenCtrl xc;
        LibXenEvtchn ev;
        LibXenForeignMemory fm;
        try {
            xc = LibXenCtrl.load();
            ev = LibXenEvtchn.load();
            fm = LibXenForeignMemory.load();
        } catch (UnsatisfiedLinkError e) {
            throw new XenException("dlopen", Errno.ENOENT, "Xen's libraries are missing (apt-get install libxen-dev): "
                    + e.getMessage());
        }
        Handles.XcInterface xch = xc.xc_interface_open(null, null, 0);
        if (xch == null) {
            throw XenErrors.failure("xc_interface_open", "privcmd");
        }
        Handles.ForeignMemory fmem = fm.xenforeignmemory_open(null, 0);
        if (fmem == null) {
            xc.xc_interface_close(xch);
            throw XenErrors.failure("xenforeignmemory_open", "privcmd");
        }
        LibXenGuest guestLib;
        try {
            guestLib = LibXenGuest.load();
        } catch (UnsatisfiedLinkError e) {
            guestLib = null;
        }
        return new NativeXenHost(xc, xch, ev, fm, fmem, XsWireClient.connect(), LibC.INSTANCE, guestLib, toolstack);
    }

    NativeXenHost(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, LibXenForeignMemory fm,
                  Handles.ForeignMemory fmem, XenStore store, LibC libc) {
        this(xc, xch, ev, fm, fmem, store, libc, null, new XlToolstack(Path.of("/etc/xen"), "xl"));
    }

    /** {@code guestLib} is null where libxenguest is missing: then a failed migration cannot undo the guest's suspend. */
    NativeXenHost(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, LibXenForeignMemory fm,
                  Handles.ForeignMemory fmem, XenStore store, LibC libc, LibXenGuest guestLib, Toolstack toolstack) {
        this.xc = xc;
        this.xch = xch;
        this.fm = fm;
        this.fmem = fmem;
        this.store = store;
        XcDomainQueries queries = new XcDomainQueries(xc, xch);
        this.domains = new NativeDomainControl(xc, xch, store, toolstack,
                new GuestSuspend(xch, store, guestLib, queries), queries);
        this.memory = new NativeGuestMemory(fm, fmem, queries);
        this.paging = new NativePagingChannel(xc, xch, ev, libc);
        this.dirty = new NativeDirtyLog(xc, xch, queries);
    }

    @Override
    public String describe() {
        return "Xen host (native)";
    }

    @Override
    public DomainControl domains() {
        return domains;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public PagingChannel paging() {
        return paging;
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirty;
    }

    @Override
    public XenStore store() {
        return store;
    }

    @Override
    public void close() {
        if (store instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
        fm.xenforeignmemory_close(fmem);
        xc.xc_interface_close(xch);
    }
}
